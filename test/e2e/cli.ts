// Drives the built `velero` binary (host/dist/main.js) as a user would: child processes, real
// kubeconfig, a working directory of their own. Also starts `velero server` as a child process.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../scripts/build-plugins.ts";
import { runProcess, type ProcessResult } from "../helpers/run-process.ts";

export const VELERO_MAIN = join(ROOT, "host", "dist", "main.js");

export type CliResult = ProcessResult;

export interface CliEnv {
  cwd: string;
  env: Record<string, string>;
}

/** Runs `velero <args>`; never rejects on a non-zero exit. */
export function velero(ctx: CliEnv, ...args: string[]): Promise<CliResult> {
  return runProcess(process.execPath, [VELERO_MAIN, ...args], { cwd: ctx.cwd, env: { ...process.env, ...ctx.env } });
}

/** Polls `check` until it returns a value, failing with the last observation after `timeoutMs`. */
export async function eventually<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

export interface ServerProcess {
  child: ChildProcess;
  log: string;
  stop(): Promise<void>;
}

/** `velero server --kubeconfig ... --plugin-dir dist/plugins` as a child process, logging to a file. */
export function startVeleroServer(ctx: CliEnv, args: string[], logFile: string): ServerProcess {
  const out = createWriteStream(logFile);
  const child = spawn(process.execPath, [VELERO_MAIN, "server", ...args], { cwd: ctx.cwd, env: { ...process.env, ...ctx.env }, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  return { child, log: logFile, stop: () => stopChild(child) };
}

/** SIGTERM, then SIGKILL after 10 s; resolves once the process has exited. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}
