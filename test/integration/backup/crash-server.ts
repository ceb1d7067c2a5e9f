// A `velero server` process for the crash test: the real composition root from host/dist, with a
// KubeClient whose LIST of configmaps stalls, so a backup stays InProgress until the test kills
// this process with SIGKILL. Usage: node crash-server.mjs <kubeconfig> <velero-namespace> <plugin-dir>
import { startServer } from "../../../host/dist/server/server.js";
import { createKubeClient } from "../../../host/dist/kube/http-kube-client.js";
import { createSilentLogger } from "../../../host/dist/shared/logging.js";

const [kubeconfig, namespace, pluginDir] = process.argv.slice(2);
const real = createKubeClient({ kubeconfig });
const kube = new Proxy(real, {
  get(target, prop) {
    const value = Reflect.get(target, prop, target);
    if (prop === "list") {
      return async (gvr, options) => {
        if (gvr.resource === "configmaps" && options?.namespace !== namespace) await new Promise((r) => setTimeout(r, 600_000));
        return value.call(target, gvr, options);
      };
    }
    return typeof value === "function" ? value.bind(target) : value;
  },
});
await startServer({ kube, namespace, pluginDir, metricsAddress: "127.0.0.1:0", logger: createSilentLogger(), storeValidationFrequency: "1s" });
process.stdout.write("started\n");
