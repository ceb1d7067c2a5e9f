/**
 * Runs post-restore exec hooks in one restored pod (Velero's wait-exec hook handler): waits until
 * each hook's container is running (or ready, with waitForReady), then runs its hooks in order
 * through pods/exec. `waitTimeout` bounds the wait, `execTimeout` (default 30s) each command;
 * a failure with onError=Fail stops the pod's remaining hooks. Hooks that never ran count as
 * failed. Everything is reported, nothing is thrown.
 */
import { getErrorMessage } from "@velero-ts/plugin-sdk";
import type { KubeClient } from "../../kube/client.js";
import { execFailureText, execTimeoutMs } from "../../kube/errors.js";
import { longTimeout, type TimerHandle } from "../../shared/clock.js";
import { formatGoDuration } from "../../shared/duration.js";
import type { Logger } from "../../shared/logging.js";
import type { RestoreClock } from "../clock.js";
import type { PodExecRestoreHook } from "./restore-hooks.js";

export const HOOK_POLL_INTERVAL_MS = 1_000;

export interface HookRunResult {
  attempted: number;
  failed: number;
  /** Error messages, all in the pod's namespace. */
  errors: string[];
}

interface ContainerStatus {
  name: string;
  ready?: boolean;
  state?: { running?: unknown };
}

interface PodView {
  metadata: { deletionTimestamp?: unknown };
  spec?: { containers?: { name: string }[] };
  status?: { phase?: string; containerStatuses?: ContainerStatus[] };
}

function containerUp(pod: PodView, container: string, hooks: PodExecRestoreHook[]): boolean {
  const waitForReady = hooks.some((h) => h.hook.waitForReady === true);
  const cs = pod.status?.containerStatuses?.find((c) => c.name === container);
  if (!cs) return false;
  return waitForReady ? cs.ready === true : cs.state?.running !== undefined && cs.state.running !== null;
}

export interface ExecHookRunnerOptions {
  kube: KubeClient;
  clock: RestoreClock;
  log: Logger;
  /** Aborted when the server stops: the hooks still waiting are given up. */
  signal?: AbortSignal;
  parseDuration: (s: string) => number;
  /** Bound on the wait when no hook sets waitTimeout. */
  defaultWaitTimeoutMs: number;
}

const TIMED_OUT = "timed out waiting for the containers to be up";

/** Bounds a pods/exec call (the adapter enforces timeoutMs too; this guards a hung connection). */
async function withTimeout<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: TimerHandle | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = longTimeout(() => reject(new Error(`timed out after ${formatGoDuration(ms)}`)), ms);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    timer?.cancel();
  }
}

export async function runPodExecHooks(
  opts: ExecHookRunnerOptions,
  pod: { namespace: string; name: string },
  byContainer: Map<string, PodExecRestoreHook[]>,
): Promise<HookRunResult> {
  const { kube, clock, log } = opts;
  const result: HookRunResult = { attempted: 0, failed: 0, errors: [] };
  const podRef = `${pod.namespace}/${pod.name}`;
  const pending = new Map(byContainer);
  const all = [...pending.values()].flat();
  const executed = new Set<PodExecRestoreHook>();
  result.attempted = all.length;
  const waits = all.map((h) => (h.hook.waitTimeout ? opts.parseDuration(h.hook.waitTimeout) : 0));
  const maxWait = waits.some((w) => w <= 0) ? opts.defaultWaitTimeoutMs : Math.max(...waits);
  const start = clock.now();
  const fail = (message: string): void => {
    result.failed++;
    result.errors.push(message);
    log.error({ namespace: pod.namespace, name: pod.name }, message);
  };
  let stopReason: string | undefined;

  outer: while (pending.size > 0) {
    if (opts.signal?.aborted) {
      stopReason = "the server is stopping";
      break;
    }
    let current: PodView | undefined;
    let readFailed = false;
    try {
      current = (await kube.get({ group: "", version: "v1", resource: "pods" }, pod.name, pod.namespace)) as PodView | undefined;
    } catch (err) {
      // (a failed read is not a deleted pod: Velero's watch retries; so does this loop)
      readFailed = true;
      log.warn({ namespace: pod.namespace, name: pod.name, err: getErrorMessage(err) }, "error getting pod for post-restore hooks, retrying");
    }
    if (readFailed) {
      if (clock.now() - start >= maxWait) {
        stopReason = TIMED_OUT;
        break;
      }
      await clock.sleep(HOOK_POLL_INTERVAL_MS);
      continue;
    }
    if (current === undefined) {
      stopReason = `pod ${podRef} deleted before all hooks were executed`;
      break;
    }
    const phase = current.status?.phase;
    if (phase === "Succeeded" || phase === "Failed") {
      stopReason = `pod entered phase ${phase} before some post-restore exec hooks ran`;
      break;
    }
    for (const [container, hooks] of pending) {
      if (!current.spec?.containers?.some((c) => c.name === container)) {
        log.warn({ namespace: pod.namespace, name: pod.name }, `pod ${podRef} does not have container ${container}: discarding post-restore exec hooks`);
        result.attempted -= hooks.length;
        pending.delete(container);
        continue;
      }
      if (!containerUp(current, container, hooks)) continue;
      for (const h of hooks) {
        executed.add(h);
        const waitTimeout = h.hook.waitTimeout ? opts.parseDuration(h.hook.waitTimeout) : 0;
        if (waitTimeout > 0 && clock.now() - start > waitTimeout) {
          fail(`hook ${h.hookName} in container ${container} expired before executing`);
          if (h.hook.onError === "Fail") break outer;
          continue;
        }
        // (0, what a Restore written by Velero's Go types carries as "0s", is the 30 s default)
        const timeoutMs = execTimeoutMs(h.hook.execTimeout ? opts.parseDuration(h.hook.execTimeout) : 0);
        try {
          log.info({ namespace: pod.namespace, name: pod.name }, `running post-restore exec hook ${h.hookName} in container ${container}`);
          const out = await withTimeout(
            timeoutMs,
            kube.exec({ namespace: pod.namespace, pod: pod.name, container, command: h.hook.command, timeoutMs }),
          );
          // Velero's words: client-go's exit error, the node's message, its executor's timeout
          if (out.exitCode !== 0) throw new Error(`command terminated with exit code ${out.exitCode}`);
        } catch (err) {
          fail(`hook ${h.hookName} in container ${container} failed to execute, err: ${execFailureText(err, Number.isFinite(timeoutMs) ? formatGoDuration(timeoutMs) : "never")}`);
          if (h.hook.onError === "Fail") break outer;
        }
      }
      pending.delete(container);
    }
    if (pending.size === 0) break;
    if (clock.now() - start >= maxWait) {
      stopReason = TIMED_OUT;
      break;
    }
    await clock.sleep(HOOK_POLL_INTERVAL_MS);
  }
  for (const h of all) {
    if (executed.has(h) || ![...pending.values()].flat().includes(h)) continue;
    // Velero reports its wait's context error here: the wait timed out, or it was cancelled (a
    // failed Fail-mode hook, the pod gone or finished). Why is in the log line below.
    const contextError = stopReason === TIMED_OUT ? "context deadline exceeded" : "context canceled";
    fail(`hook ${h.hookName} in container ${h.hook.container} in pod ${podRef} not executed: ${contextError}`);
  }
  if (stopReason) log.warn({ namespace: pod.namespace, name: pod.name }, stopReason);
  return result;
}
