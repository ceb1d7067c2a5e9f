/** The real world for the CLI: process streams, the kubeconfig-based KubeClient, wall-clock time. */
import { homedir } from "node:os";
import { createInterface } from "node:readline";
import { createKubeClient } from "../kube/http-kube-client.js";
import type { CliDeps } from "./deps.js";
import { VERSION } from "./version-info.js";

/** The server composition root (host/src/server), resolved at run time. */
const SERVER_MODULE = "../server/server.js";

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
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    connect: async (options) => createKubeClient({ kubeconfig: options.kubeconfig, context: options.kubecontext }),
    fetch: (url) => fetch(url),
    version: VERSION,
    startServer: async (options) => {
      // Loaded on demand: the CLI's other commands never pay for the server's module graph.
      const mod = (await import(SERVER_MODULE)) as { startServer(o: unknown): Promise<void> };
      await mod.startServer(options);
    },
    runPlugins: async (argv) => (await import("./run-plugins.js")).runPlugins(argv),
  };
}
