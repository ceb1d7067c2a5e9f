/** The shape `backup logs` and `restore logs` share: check the CR is finished, then stream its log file. */
import { Command } from "commander";
import type { DownloadTargetKind } from "@velero-ts/plugin-sdk";
import type { GroupVersionResource } from "../kube/client.js";
import { actionFor, addBoolFlag, addValueFlag, argsVerb } from "./command-kit.js";
import { DownloadNotFoundError, downloadStream } from "./download-request.js";
import type { Factory } from "./factory.js";
import { parseDurationFlag } from "./flags/duration.js";

/** Phases after which the controller has uploaded the log. */
const LOGS_READY = ["Completed", "PartiallyFailed", "Failed", "WaitingForPluginOperations", "WaitingForPluginOperationsPartiallyFailed"];

/** What differs between the `logs` commands. */
export interface LogsCommandSpec {
  gvr: GroupVersionResource;
  target: DownloadTargetKind;
  description: string;
  /** e.g. "<BACKUP>" */
  argName: string;
  argDescription: string;
  cacertDescription: string;
  notFound(name: string, namespace: string): string;
  notReady(name: string): string;
  noLogStored(name: string): string;
}

export function newLogsCommand(f: Factory, spec: LogsCommandSpec): Command {
  const cmd = new Command("logs").description(spec.description).argument(spec.argName, spec.argDescription);
  addValueFlag(cmd, "--timeout <duration>", "How long to wait to receive logs.", (v) => parseDurationFlag("--timeout", v));
  addBoolFlag(cmd, "--insecure-skip-tls-verify", "If true, the object store's TLS certificate will not be checked for validity. This is insecure and susceptible to man-in-the-middle attacks. Not recommended for production.");
  cmd.option("--cacert <file>", spec.cacertDescription);
  return cmd.action(
    actionFor(f, () =>
      argsVerb<{ timeout?: number; cacert?: string; insecureSkipTlsVerify?: boolean }>({
        run: async (args, flags) => {
          const name = args[0] ?? "";
          f.downloadFlags = { cacert: flags.cacert, insecureSkipTlsVerify: flags.insecureSkipTlsVerify };
          const timeoutNs = flags.timeout ?? 60e9;
          const kube = await f.kube();
          const obj = (await kube.get(spec.gvr, name, f.namespace())) as { status?: { phase?: string } } | undefined;
          // failures, not usage errors (exit 1, as the README's table says for a missing object)
          if (!obj) throw new Error(spec.notFound(name, f.namespace()));
          if (!LOGS_READY.includes(obj.status?.phase ?? "")) throw new Error(spec.notReady(name));
          try {
            // printed as it is read and gunzipped: a log can be hundreds of MiB
            const log = await downloadStream(f, spec.target, name, timeoutNs / 1e6);
            log.setEncoding("utf8");
            for await (const text of log) await f.outPiece(text as string);
          } catch (err) {
            if (err instanceof DownloadNotFoundError) throw new Error(spec.noLogStored(name));
            throw err;
          }
        },
      }),
    ),
  );
}
