/**
 * Everything the CLI needs from the outside world, injected so that commands can be run in tests
 * with captured output, a fake cluster and fake time.
 */
import type { KubeClient } from "../kube/client.js";

export interface OutputStream {
  write(text: string): void;
  /** True when connected to a terminal (enables the live progress bar). */
  isTTY?: boolean;
  columns?: number;
}

export interface KubeConnectOptions {
  kubeconfig?: string;
  kubecontext?: string;
}

/** Options `velero server` hands to the server composition root (see cli/server.ts). */
export type StartServer = (options: Record<string, unknown>) => Promise<void>;

export interface CliDeps {
  stdout: OutputStream;
  stderr: OutputStream;
  /** Reads one line from the user (confirmation prompts); undefined at end of input. */
  readLine(): Promise<string | undefined>;
  env: Record<string, string | undefined>;
  homeDir: string;
  cwd: string;
  now(): Date;
  sleep(ms: number): Promise<void>;
  connect(options: KubeConnectOptions): Promise<KubeClient>;
  /** HTTP(S) GET for signed download URLs. */
  fetch(url: string): Promise<Response>;
  version: { version: string; gitCommit: string };
}
