// Runs the velero CLI in this process against a real API server, with sleeps that end only when
// the CLI cuts them short: so a test can show that a wait of the CLI ended through a watch, not
// through its periodic reads.
import { defaultDeps } from "../../host/src/cli/default-deps.ts";
import type { CliDeps } from "../../host/src/cli/deps.ts";
import { runCli } from "../../host/src/cli/program.ts";
import { CaptureStream } from "../../host/src/cli/testing/run-cli.ts";
import { createKubeClient } from "../../host/src/kube/http-kube-client.ts";

export interface InProcessRun {
  code: number;
  stdout: string;
  stderr: string;
  /** The signals of every sleep the CLI started: each ended only if it was aborted. */
  sleeps: AbortSignal[];
}

/** `velero <argv>` with `kubeconfig`, `home` as $HOME and working directory. */
export async function runCliWithWatchOnlyWaits(argv: string[], options: { kubeconfig: string; home: string }): Promise<InProcessRun> {
  const stdout = new CaptureStream();
  const stderr = new CaptureStream();
  const sleeps: AbortSignal[] = [];
  const deps: CliDeps = {
    ...defaultDeps(),
    stdout,
    stderr,
    env: {},
    homeDir: options.home,
    cwd: options.home,
    connect: async () => createKubeClient({ kubeconfig: options.kubeconfig }),
    sleep: (_ms, signal) => {
      if (!signal) return Promise.reject(new Error("the CLI started a sleep it cannot cut short"));
      sleeps.push(signal);
      return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    },
  };
  const code = await runCli(argv, deps);
  return { code, stdout: stdout.text, stderr: stderr.text, sleeps };
}
