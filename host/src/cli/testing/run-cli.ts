/**
 * Test harness: runs the CLI in-process with captured stdout/stderr, a FakeKubeClient, a fixed
 * clock, instant sleeps and scripted stdin.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { afterAll } from "vitest";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeKubeClient } from "../../testing/fake-kube-client.js";
import type { CliDeps, OutputStream } from "../deps.js";
import { runCli } from "../program.js";

export class CaptureStream implements OutputStream {
  text = "";
  isTTY = false;
  columns = 100;
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

export interface TestCli {
  kube: FakeKubeClient;
  stdout: CaptureStream;
  stderr: CaptureStream;
  deps: CliDeps;
  /** Lines fed to confirmation prompts. */
  input: string[];
  /** Current fake time; sleep() advances it. */
  clock: { now: Date };
  /** Options `velero server` was started with. */
  serverStarts: unknown[];
  /** argv `velero run-plugins` was started with. */
  pluginRuns: string[][];
  /** Options `velero node-agent server` was started with. */
  nodeAgentRuns: unknown[];
  /** Called on every sleep (lets a test move the cluster forward while the CLI waits). */
  onSleep?: (ms: number) => void | Promise<void>;
  run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
}

export const TEST_NOW = new Date("2024-05-01T12:00:00Z");

/** Scratch directories made by test CLIs (a home each): removed after the test file's tests. */
const scratchDirs = new Set<string>();
afterAll(() => {
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
  scratchDirs.clear();
});

/** A fresh directory under the OS temp dir, removed once the test file's tests are done. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratchDirs.add(dir);
  return dir;
}

export function createTestCli(options: { kube?: FakeKubeClient; env?: Record<string, string> } = {}): TestCli {
  const kube = options.kube ?? new FakeKubeClient();
  const stdout = new CaptureStream();
  const stderr = new CaptureStream();
  const homeDir = scratchDir("velero-cli-home-");
  const t: TestCli = {
    kube,
    stdout,
    stderr,
    input: [],
    serverStarts: [],
    pluginRuns: [],
    nodeAgentRuns: [],
    clock: { now: new Date(TEST_NOW) },
    deps: undefined as unknown as CliDeps,
    async run(...argv: string[]) {
      stdout.text = "";
      stderr.text = "";
      const code = await runCli(argv, t.deps);
      return { code, stdout: stdout.text, stderr: stderr.text };
    },
  };
  t.deps = {
    stdout,
    stderr,
    readLine: async () => t.input.shift(),
    env: options.env ?? {},
    homeDir,
    cwd: homeDir,
    now: () => new Date(t.clock.now),
    sleep: async (ms) => {
      t.clock.now = new Date(t.clock.now.getTime() + ms);
      await t.onSleep?.(ms);
    },
    connect: async () => kube,
    fetch: async (url) => {
      throw new Error(`no fetch in unit tests: ${url}`);
    },
    version: { version: "v1.18.0-ts.0.1.0", gitCommit: "abc1234" },
    startServer: async (o) => void t.serverStarts.push(o),
    runPlugins: async (argv) => void t.pluginRuns.push(argv),
    runNodeAgent: async (o) => void t.nodeAgentRuns.push(o),
  };
  return t;
}
