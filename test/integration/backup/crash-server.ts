// A `velero server` process for the crash test: the real composition root (startServer), with a
// KubeClient whose LISTs of configmaps (whole or in pages) stall, so a backup stays InProgress until the test kills
// this process with SIGKILL. The test bundles it with esbuild and runs
// `node crash-server.mjs <kubeconfig> <velero-namespace> <plugin-dir>`.
import type { GroupVersionResource, KubeClient, ListOptions } from "../../../host/src/kube/client.ts";
import { createKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { startServer } from "../../../host/src/server/server.ts";
import { createSilentLogger } from "../../../host/src/shared/logging.ts";

const [kubeconfig, namespace, pluginDir] = process.argv.slice(2) as [string, string, string];
const real = createKubeClient({ kubeconfig });
const kube: KubeClient = new Proxy(real, {
  get(target, prop) {
    const value = Reflect.get(target, prop, target) as unknown;
    const stalls = (gvr: GroupVersionResource, options?: ListOptions): boolean => gvr.resource === "configmaps" && options?.namespace !== namespace;
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
