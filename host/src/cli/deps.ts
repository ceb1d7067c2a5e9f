/**
 * Everything the CLI needs from the outside world, injected so that commands can be run in tests
 * with captured output, a fake cluster and fake time.
 */
import type { KubeClient } from "../kube/client.js";
import type { RunNodeAgent } from "./node-agent.js";

export interface OutputStream {
  /** false: the text is queued (a stream's backpressure); "drain" follows (see once). */
  write(text: string): boolean | void;
  /** A Writable's events; only "drain" is used. */
  once?(event: "drain", listener: () => void): unknown;
  /** True when connected to a terminal (enables the live progress bar). */
  isTTY?: boolean;
  columns?: number;
}

export interface KubeConnectOptions {
  kubeconfig?: string;
  kubecontext?: string;
}

import type { StartServer } from "./server.js";

/** How a download's TLS connection is verified (Velero's StreamWithBSLCACert). */
export interface DownloadTls {
  ca: string[];
  insecure: boolean;
}

export interface CliDeps {
  stdout: OutputStream;
  stderr: OutputStream;
  /** Reads one line from the user (confirmation prompts); undefined at end of input. */
  readLine(): Promise<string | undefined>;
  env: Record<string, string | undefined>;
  homeDir: string;
  cwd: string;
  now(): Date;
  /** Resolves after `ms`, or at once when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  connect(options: KubeConnectOptions): Promise<KubeClient>;
  /**
   * HTTP(S) GET for signed download URLs; `tls` (an https URL) gives the certificates to trust (in
   * place of the defaults) and whether to skip verification.
   */
  fetch(url: string, tls?: DownloadTls): Promise<Response>;
  version: { version: string; gitCommit: string };
  /** Runs the server until it is stopped (cli/server.ts maps the flags). */
  startServer: StartServer;
  /** Serves the built-in plugins over the plugin protocol (velero run-plugins). */
  runPlugins(argv: string[]): Promise<unknown>;
  /** velero node-agent server: says it has no node agent and waits to be stopped. */
  runNodeAgent: RunNodeAgent;
}
