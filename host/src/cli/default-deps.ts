/** The real world for the CLI: process streams, the kubeconfig-based KubeClient, wall-clock time. */
import { homedir } from "node:os";
import { nodeAgentNotice } from "./node-agent.js";
import { createInterface } from "node:readline";
import type { CliDeps } from "./deps.js";
import { runServerUntilSignal, waitForStopSignal } from "./server.js";
import { VERSION } from "./version-info.js";

let stdinLines: AsyncIterator<string> | undefined;

async function readLine(): Promise<string | undefined> {
  stdinLines ??= createInterface({ input: process.stdin, crlfDelay: Infinity })[Symbol.asyncIterator]();
  const next = await stdinLines.next();
  return next.done ? undefined : next.value;
}

export function defaultDeps(): CliDeps {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    readLine,
    env: process.env,
    homeDir: process.env.HOME || homedir(),
    cwd: process.cwd(),
    now: () => new Date(),
    sleep: (ms, signal) =>
      new Promise((resolve) => {
        if (signal?.aborted) return resolve();
        const timer = setTimeout(resolve, ms);
        signal?.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
      }),
    // Loaded on demand: @kubernetes/client-node is slow to import, and help/completion/client
    // config never talk to the cluster.
    connect: async (options) => {
      const { createKubeClient, kubeUserAgent } = await import("../kube/http-kube-client.js");
      return createKubeClient({ kubeconfig: options.kubeconfig, context: options.kubecontext, userAgent: kubeUserAgent("velero", VERSION.version, VERSION.gitCommit) });
    },
    fetch: async (url, tls) => {
      if (!tls || !url.startsWith("https:")) return fetch(url);
      const { Agent, fetch: undiciFetch } = await import("undici");
      const dispatcher = new Agent({ connect: { ca: tls.ca, rejectUnauthorized: !tls.insecure } });
      const close = (): void => void dispatcher.close().catch(() => undefined);
      try {
        const response = await undiciFetch(url, { dispatcher });
        // the body streams (a tarball can be hundreds of MiB); the agent closes once it is read to its
        // end (a command that stops reading early ends its process, connections with it)
        const body = response.body?.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({ flush: close }));
        if (!body) close();
        return new Response(body ?? null, { status: response.status, statusText: response.statusText });
      } catch (err) {
        close();
        throw err;
      }
    },
    version: VERSION,
    startServer: (options) => runServerUntilSignal(options, VERSION.version),
    runPlugins: async (argv) => (await import("./run-plugins.js")).runPlugins(argv),
    runNodeAgent: async (options) => {
      process.stderr.write(nodeAgentNotice(options.logFormat, new Date()));
      await waitForStopSignal();
    },
  };
}
