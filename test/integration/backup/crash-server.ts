// A `velero server` process for the crash tests: the real composition root (startServer), with a
// KubeClient that stalls, so a backup stays InProgress until the test kills this process with SIGKILL.
// Mode "list" (default): LISTs of configmaps (whole or in pages) stall, so the backup never gets
// past its items. Mode "final-patch": the Backup's final status patch stalls (its files and its
// terminal velero-backup.json are already in the bucket: the server dies between the two).
// The test bundles it with esbuild and runs
// `node crash-server.mjs <kubeconfig> <velero-namespace> <plugin-dir> [list|final-patch]`.
import type { GroupVersionResource, KubeClient, ListOptions } from "../../../host/src/kube/client.ts";
import { createKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { startServer } from "../../../host/src/server/server.ts";
import { createSilentLogger } from "../../../host/src/shared/logging.ts";

const [kubeconfig, namespace, pluginDir, mode = "list"] = process.argv.slice(2) as [string, string, string, string?];
const real = createKubeClient({ kubeconfig });
const kube: KubeClient = new Proxy(real, {
  get(target, prop) {
    const value = Reflect.get(target, prop, target) as unknown;
    const stalls = (gvr: GroupVersionResource, options?: ListOptions): boolean => mode === "list" && gvr.resource === "configmaps" && options?.namespace !== namespace;
    if (prop === "patch" && mode === "final-patch") {
      return async (gvr: GroupVersionResource, name: string, ns: string | undefined, patch: { status?: { phase?: string } }, ...rest: unknown[]) => {
        if (gvr.resource === "backups" && ["Completed", "PartiallyFailed"].includes(patch?.status?.phase ?? "")) {
          process.stdout.write("final patch stalled\n");
          await new Promise((r) => setTimeout(r, 600_000));
        }
        return (real.patch as (...a: unknown[]) => Promise<unknown>)(gvr, name, ns, patch, ...rest);
      };
    }
    if (prop === "list") {
      return async (gvr: GroupVersionResource, options?: ListOptions) => {
        if (stalls(gvr, options)) await new Promise((r) => setTimeout(r, 600_000));
        return real.list(gvr, options);
      };
    }
    if (prop === "listPages") {
      // the backup's item collector reads its LISTs a page at a time
      return async function* (gvr: GroupVersionResource, options?: ListOptions) {
        if (stalls(gvr, options)) await new Promise((r) => setTimeout(r, 600_000));
        yield* real.listPages(gvr, options);
      };
    }
    return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
  },
});
await startServer({ kube, namespace, pluginDir, metricsAddress: "127.0.0.1:0", logger: createSilentLogger(), storeValidationFrequency: "1s" });
process.stdout.write("started\n");
