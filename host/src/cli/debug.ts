/**
 * velero debug [--backup NAME] [--restore NAME] [--output FILE] [--verbose]: a support bundle with
 * what Velero's (pkg/cmd/cli/debug, whose crashd script velero.cshd defines the contents) holds,
 * laid out as crashd lays it out, all under velero-bundle/ in a .tar.gz:
 *  - kubecapture/velero.io_<version>/<ns>/<resource>-<time>.json: every velero.io object of the
 *    Velero namespace, one JSON List per resource (crashd's kube_capture of objects);
 *  - kubecapture/core_v1/<ns>/pods-<time>.json and kubecapture/core_v1/<ns>/<pod>/<container>/
 *    <container>.log: the namespace's pods and each container's log (kube_capture of logs);
 *  - version.txt (`velero version`), backup_describe_<B>.txt (`backup describe --details`),
 *    backup_<B>.log (`backup logs`), restore_describe_<R>.txt and restore_<R>.log.
 * No Secret is read. Velero refuses to run without a Deployment labelled component=velero in the
 * namespace; a velero-ts server may run outside the cluster (`velero server --kubeconfig`), so
 * the bundle is made without one, saying that its logs are not in it. The bundle is written to a
 * temporary file renamed into place: a failed run leaves no partial bundle behind.
 */
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { Command } from "commander";
import { pack } from "tar-stream";
import { getErrorMessage, type UnstructuredItem } from "@velero-ts/plugin-sdk";
import type { ApiResource, GroupVersionResource, KubeClient } from "../kube/client.js";
import { GVR, groupResourceString, groupVersionString } from "../kube/gvr.js";
import { actionFor, addBoolFlag, argsVerb } from "./command-kit.js";
import type { CliDeps } from "./deps.js";
import type { Factory } from "./factory.js";

/** Adds a file (path inside the bundle) to the bundle. */
type AddFile = (path: string, content: string) => Promise<void>;

/** Runs another velero command line with the given dependencies (runCli). */
export type RunCommandLine = (argv: string[], deps: CliDeps) => Promise<number>;

const BUNDLE_DIR = "velero-bundle";
const CAPTURE_DIR = `${BUNDLE_DIR}/kubecapture`;
const DEPLOYMENTS = { group: "apps", version: "v1", resource: "deployments" };

interface DebugFlags {
  backup?: string;
  restore?: string;
  output?: string;
  verbose?: boolean;
}

export function newDebugCommand(f: Factory, runCommandLine: RunCommandLine): Command {
  const cmd = new Command("debug")
    .description(
      "Generate a tarball containing the logs of velero deployment, plugin logs, node-agent DaemonSet,\nspecs of resources created by velero server, and optionally the logs of backup and restore.",
    )
    .summary("Generate debug bundle");
  cmd.option("--output <path>", "The path of the bundle tarball, by default it's ./bundle-<YYYY>-<MM>-<DD>-<HH>-<MM>-<SS>.tar.gz. Optional");
  cmd.option("--backup <name>", "The name of the backup resource whose log will be collected, no backup logs will be collected if it's not set. Optional");
  cmd.option("--restore <name>", "The name of the restore resource whose log will be collected, no restore logs will be collected if it's not set. Optional");
  addBoolFlag(cmd, "--verbose", "When it's set to true, each file is named as it goes into the bundle. Default value is false.");
  return cmd.action(actionFor(f, () => argsVerb<DebugFlags>({ run: (_args, flags) => new DebugBundle(f, runCommandLine, flags).run() })));
}

class DebugBundle {
  readonly #f: Factory;
  readonly #runCommandLine: RunCommandLine;
  readonly #flags: DebugFlags;
  readonly #namespace: string;
  /** crashd's file name stamp: time.Now().Format("2006-01-02T15-04-05Z.0000"). */
  readonly #stamp: string;

  constructor(f: Factory, runCommandLine: RunCommandLine, flags: DebugFlags) {
    this.#f = f;
    this.#runCommandLine = runCommandLine;
    this.#flags = flags;
    this.#namespace = f.namespace();
    this.#stamp = captureStamp(f.deps.now());
  }

  async run(): Promise<void> {
    const f = this.#f;
    const ns = this.#namespace;
    const output = resolve(f.deps.cwd, this.#flags.output || `bundle-${bundleStamp(f.deps.now())}.tar.gz`);
    const kube = await f.kube();
    await this.#validate(kube);

    // The file is opened before anything is collected: a bundle that cannot be written fails at once.
    const temp = join(dirname(output), `.${randomBytes(6).toString("hex")}.velero-debug.tmp`);
    let file: WriteStream;
    try {
      await mkdir(dirname(output), { recursive: true });
      file = createWriteStream(temp, { flags: "wx", mode: 0o600 });
      await once(file, "open");
    } catch (err) {
      throw new Error(`cannot write the debug bundle ${output}: ${getErrorMessage(err)}`, { cause: err });
    }
    const tar = pack();
    const written = pipeline(tar, createGzip(), file);
    written.catch(() => undefined);
    const add: AddFile = async (path, content) => {
      if (this.#flags.verbose) f.out(`Writing ${path}\n`);
      await new Promise<void>((done, fail) => tar.entry({ name: path, mode: 0o644, mtime: f.deps.now() }, content, (err) => (err ? fail(err) : done())));
    };
    try {
      f.out(`Collecting velero resources in namespace: ${ns}\n`);
      await this.#captureObjects(kube, add);
      await add(`${BUNDLE_DIR}/version.txt`, await this.#velero(["version"]));
      f.out(`Collecting velero deployment logs in namespace: ${ns}\n`);
      await this.#captureLogs(kube, add);
      if (this.#flags.backup) {
        const b = this.#flags.backup;
        f.out(`Collecting log and information for backup: ${b}\n`);
        await add(`${BUNDLE_DIR}/backup_describe_${b}.txt`, await this.#velero(["backup", "describe", b, "--details"]));
        await add(`${BUNDLE_DIR}/backup_${b}.log`, await this.#velero(["backup", "logs", b]));
      }
      if (this.#flags.restore) {
        const r = this.#flags.restore;
        f.out(`Collecting log and information for restore: ${r}\n`);
        await add(`${BUNDLE_DIR}/restore_describe_${r}.txt`, await this.#velero(["restore", "describe", r, "--details"]));
        await add(`${BUNDLE_DIR}/restore_${r}.log`, await this.#velero(["restore", "logs", r]));
      }
      tar.finalize();
      await written;
      await rename(temp, output);
    } catch (err) {
      tar.destroy();
      await written.catch(() => undefined);
      await rm(temp, { force: true });
      throw new Error(`the debug bundle ${output} was not made: ${getErrorMessage(err)}`, { cause: err });
    }
    f.out(`Generated debug information bundle: ${output}\n`);
  }

  /** As Velero: the named backup and restore must exist. Unlike Velero, a missing Deployment is a warning. */
  async #validate(kube: KubeClient): Promise<void> {
    const ns = this.#namespace;
    const deployments = await kube.list(DEPLOYMENTS, { namespace: ns, labelSelector: "component=velero" });
    if (deployments.items.length === 0) {
      this.#f.err(
        `Warning: velero deployment does not exist in namespace: ${ns} (a velero server running outside the cluster, say): ` +
          "the bundle has no server log; add that server's own output to it\n",
      );
    }
    if (this.#flags.backup && !(await kube.get(GVR.backups, this.#flags.backup, ns))) {
      throw new Error(`backups.velero.io "${this.#flags.backup}" not found`);
    }
    if (this.#flags.restore && !(await kube.get(GVR.restores, this.#flags.restore, ns))) {
      throw new Error(`restores.velero.io "${this.#flags.restore}" not found`);
    }
  }

  /** Every velero.io resource of the namespace, one List per resource, at its preferred version. */
  async #captureObjects(kube: KubeClient, add: AddFile): Promise<void> {
    for (const r of preferredResources(await kube.discover(), "velero.io")) {
      if (r.namespaced && r.verbs.includes("list")) await this.#captureList(kube, r, r.kind, add);
    }
  }

  /** The namespace's pods and each container's log; what cannot be read is reported, not fatal (as crashd). */
  async #captureLogs(kube: KubeClient, add: AddFile): Promise<void> {
    const ns = this.#namespace;
    const pods = await this.#captureList(kube, GVR.pods, "Pod", add);
    for (const pod of pods ?? []) {
      const name = pod.metadata.name;
      for (const container of containerNames(pod)) {
        let text: string;
        try {
          text = await kube.podLogs(ns, name, container);
        } catch (err) {
          this.#f.err(`Failed to fetch container logs for pod ${name}: ${getErrorMessage(err)}\n`);
          continue;
        }
        await add(`${CAPTURE_DIR}/core_v1/${ns}/${name}/${container}/${container}.log`, text);
      }
    }
  }

  /**
   * One resource's objects in the namespace as a List file where crashd puts it
   * (kubecapture/<group or core>_<version>/<ns>/<resource>-<time>.json); a LIST the API server
   * refuses (no permission for one kind, say) is reported and skipped: the rest is still worth having.
   */
  async #captureList(kube: KubeClient, gvr: GroupVersionResource, kind: string, add: AddFile): Promise<UnstructuredItem[] | undefined> {
    const ns = this.#namespace;
    let listed;
    try {
      listed = await kube.list(gvr, { namespace: ns });
    } catch (err) {
      this.#f.err(`Failed to list ${groupResourceString(gvr.group, gvr.resource)} in namespace ${ns}: ${getErrorMessage(err)}\n`);
      return undefined;
    }
    // A DownloadRequest's URL is a live signed URL: whoever holds the bundle could read the
    // backup's tarball (every Secret in it) until it expires. Velero's bundle keeps it; this one says it was there.
    const items = gvr.resource === "downloadrequests" ? listed.items.map(withoutDownloadUrl) : listed.items;
    const list = { apiVersion: groupVersionString(gvr.group, gvr.version), kind: `${kind}List`, metadata: { resourceVersion: listed.resourceVersion }, items };
    await add(`${CAPTURE_DIR}/${gvr.group || "core"}_${gvr.version}/${ns}/${gvr.resource}-${this.#stamp}.json`, `${JSON.stringify(list, null, 4)}\n`);
    return listed.items;
  }

  /** The output of `velero <args> --namespace <ns>` (with this run's kubeconfig and context), as a file holds it: stdout, then stderr. */
  async #velero(args: string[]): Promise<string> {
    const f = this.#f;
    const argv = [`--namespace=${this.#namespace}`, "--colorized=false", ...args];
    if (f.globals.kubeconfig) argv.push(`--kubeconfig=${f.globals.kubeconfig}`);
    if (f.globals.kubecontext) argv.push(`--kubecontext=${f.globals.kubecontext}`);
    let out = "";
    let errors = "";
    await this.#runCommandLine(argv, { ...f.deps, stdout: { write: (s) => void (out += s) }, stderr: { write: (s) => void (errors += s) }, readLine: async () => undefined });
    return out + errors;
  }
}

/** For each resource of `group`: the group's preferred version when it serves it, else the first version listed (client-go's ServerPreferredResources). */
function preferredResources(all: ApiResource[], group: string): ApiResource[] {
  const chosen = new Map<string, ApiResource>();
  for (const r of all) {
    if (r.group !== group) continue;
    const seen = chosen.get(r.resource);
    if (!seen || (r.preferred && !seen.preferred)) chosen.set(r.resource, r);
  }
  return [...chosen.values()].sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0));
}

/** Init containers, then containers, as crashd's GetContainers lists them. */
function containerNames(pod: UnstructuredItem): string[] {
  const spec = (pod.spec ?? {}) as { initContainers?: { name?: string }[]; containers?: { name?: string }[] };
  return [...(spec.initContainers ?? []), ...(spec.containers ?? [])].map((c) => c.name ?? "").filter((n) => n !== "");
}

const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

/** Go's time.Now().Format("2006-01-02-15-04-05"), local time: the default bundle name's stamp. */
function bundleStamp(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}-${pad(d.getHours())}-${pad(d.getMinutes())}-${pad(d.getSeconds())}`;
}

/** Go's time.Now().Format("2006-01-02T15-04-05Z.0000"), local time ("Z" is a literal there). */
function captureStamp(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}-${pad(d.getMinutes())}-${pad(d.getSeconds())}Z.${pad(d.getMilliseconds(), 3)}0`;
}

function withoutDownloadUrl(item: UnstructuredItem): UnstructuredItem {
  const status = item["status"] as { downloadURL?: unknown } | undefined;
  if (!status?.downloadURL) return item;
  return { ...item, status: { ...status, downloadURL: "[redacted: a signed URL]" } };
}
