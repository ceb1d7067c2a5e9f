/**
 * ServerStatusRequest controller (`velero version`, `velero plugin get`): answers a New request
 * with the server version and the registered plugins. As Velero's, it looks at a processed request
 * again every five minutes and deletes it once it is a minute old (its TTL): about five minutes
 * after it was processed.
 */
import type { ServerStatusRequest } from "@velero-ts/plugin-sdk";
import type { KubeClient } from "../kube/client.js";
import { GVR } from "../kube/gvr.js";
import type { PluginManager } from "../plugins/manager.js";
import { realClock, toKubeTime, type Clock } from "../shared/clock.js";
import type { Logger } from "../shared/logging.js";
import { parseKubeTime, patchStatus, splitKey } from "./lifecycle-common.js";
import type { ObjectKey, ReconcileResult, Reconciler } from "./runtime/types.js";

/** Processed requests may be deleted this long after processedTimestamp. */
const SERVER_STATUS_REQUEST_TTL_MS = 60_000;
/** How often a processed request is looked at again (Velero's statusRequestResyncPeriod). */
export const SERVER_STATUS_REQUEST_RESYNC_MS = 5 * 60_000;

export interface ServerStatusRequestReconcilerOptions {
  kube: KubeClient;
  log: Logger;
  plugins: Pick<PluginManager, "list">;
  /** Reported as status.serverVersion (Velero's buildinfo.Version, e.g. "v1.18.0"). */
  serverVersion: string;
  clock?: Clock;
}

export class ServerStatusRequestReconciler implements Reconciler {
  readonly name = "server-status-request";
  readonly watches = GVR.serverStatusRequests;
  readonly #kube: KubeClient;
  readonly #log: Logger;
  readonly #plugins: Pick<PluginManager, "list">;
  readonly #serverVersion: string;
  readonly #clock: Clock;

  constructor(options: ServerStatusRequestReconcilerOptions) {
    this.#kube = options.kube;
    this.#log = options.log.child({ controller: "server-status-request" });
    this.#plugins = options.plugins;
    this.#serverVersion = options.serverVersion;
    this.#clock = options.clock ?? realClock;
  }

  async reconcile(key: ObjectKey): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const request = (await this.#kube.get(GVR.serverStatusRequests, name, namespace)) as unknown as ServerStatusRequest | undefined;
    if (!request) return { kind: "done" };
    const now = this.#clock.now();
    const phase = request.status?.phase ?? "";

    if (phase === "" || phase === "New") {
      this.#log.info({ name: key }, "processing new ServerStatusRequest");
      const plugins = this.#plugins.list().map((p) => ({ name: p.name, kind: p.kind }));
      const processedTimestamp = toKubeTime(now);
      await patchStatus(this.#kube, GVR.serverStatusRequests, request, {
        phase: "Processed",
        processedTimestamp,
        serverVersion: this.#serverVersion,
        plugins,
      });
      return { kind: "requeue", afterMs: SERVER_STATUS_REQUEST_RESYNC_MS };
    }

    if (phase === "Processed") {
      const processed = parseKubeTime(request.status?.processedTimestamp) ?? now;
      const expiry = new Date(processed.getTime() + SERVER_STATUS_REQUEST_TTL_MS);
      if (expiry > now) return { kind: "requeue", afterMs: SERVER_STATUS_REQUEST_RESYNC_MS };
      this.#log.debug({ name: key }, "ServerStatusRequest has expired, deleting it");
      await this.#kube.delete(GVR.serverStatusRequests, name, namespace);
      return { kind: "done" };
    }

    this.#log.warn({ name: key, phase }, "ServerStatusRequest has an unexpected phase, ignoring it");
    return { kind: "done" };
  }
}
