/**
 * `velero run-plugins` (hidden): serves every built-in plugin out of process through the SDK's
 * serve(), exactly like an external plugin binary (magic cookie, handshake line, ListPlugins,
 * health, Shutdown). Velero launches its own binary this way for its built-ins; velero-ts runs
 * built-ins in process and keeps this command so real Velero and the protocol tests can drive them.
 *
 * ListPlugins reports `command` = this executable (the velero single executable, or the script
 * path when run with node); a Velero host relaunches that path with `run-plugins` + its flags.
 */
import { serve, type PluginKind, type RunningPlugin } from "@velero-ts/plugin-sdk";
import type { PluginServerBuilder } from "@velero-ts/plugin-sdk";
import { createBuiltinPlugins, type BuiltinEntry } from "../builtin-plugins/registry.js";
import { createSilentLogger } from "../shared/logging.js";

type Register = (builder: PluginServerBuilder, entry: BuiltinEntry) => void;

const REGISTER: { [K in PluginKind]: Register } = {
  ObjectStore: (b, e) => void b.registerObjectStore(e.name, (e as BuiltinEntry<"ObjectStore">).factory),
  VolumeSnapshotter: (b, e) => void b.registerVolumeSnapshotter(e.name, (e as BuiltinEntry<"VolumeSnapshotter">).factory),
  BackupItemAction: (b, e) => void b.registerBackupItemAction(e.name, (e as BuiltinEntry<"BackupItemAction">).factory),
  BackupItemActionV2: (b, e) => void b.registerBackupItemActionV2(e.name, (e as BuiltinEntry<"BackupItemActionV2">).factory),
  RestoreItemAction: (b, e) => void b.registerRestoreItemAction(e.name, (e as BuiltinEntry<"RestoreItemAction">).factory),
  RestoreItemActionV2: (b, e) => void b.registerRestoreItemActionV2(e.name, (e as BuiltinEntry<"RestoreItemActionV2">).factory),
  DeleteItemAction: (b, e) => void b.registerDeleteItemAction(e.name, (e as BuiltinEntry<"DeleteItemAction">).factory),
  ItemBlockAction: (b, e) => void b.registerItemBlockAction(e.name, (e as BuiltinEntry<"ItemBlockAction">).factory),
};

/**
 * Serves all built-ins until the host calls Shutdown. `argv` (the server flags Velero passes
 * through) is accepted and ignored, except `--log-level`, which the SDK logger reads itself.
 */
export async function runPlugins(_argv: readonly string[] = process.argv.slice(2)): Promise<RunningPlugin> {
  const builder = serve({ servesVeleroBuiltins: true });
  // The in-process logger is unused here: serve() hands each factory its own plugin logger.
  for (const entry of createBuiltinPlugins(createSilentLogger()).entries()) REGISTER[entry.kind](builder, entry);
  return builder.start();
}
