/**
 * Backup exec hooks (Velero internal/hook): from pod annotations `<phase>.hook.backup.velero.io/*`
 * (unprefixed keys are legacy pre hooks) or from spec.hooks.resources; run through pods/exec with
 * Fail/Continue and a timeout (default 30s). Annotation hooks take priority over spec hooks.
 */
import type { BackupResourceHookSpec, ExecHook, UnstructuredItem } from "@velero-ts/plugin-sdk";
import type { KubeClient } from "../kube/client.js";
import { DEFAULT_EXEC_TIMEOUT_MS, ExecError, execFailureText, execTimeoutMs, KubeApiError } from "../kube/errors.js";
import { fromLabelSelector, labelSelectorError, type LabelSelector } from "../kube/labels.js";
import { formatGoDuration, goDurationError, parseGoDuration } from "../shared/duration.js";
import { ANNOTATION_HOOK_NAME } from "../shared/hooks.js";
import type { Logger } from "../shared/logging.js";
import { IncludesExcludes } from "./filters.js";
import type { ResourceCatalog } from "./resources.js";

export type HookPhase = "pre" | "post";

export interface ResourceHook {
  name: string;
  namespaces: IncludesExcludes;
  resources: IncludesExcludes;
  labelSelector?: LabelSelector;
  /** A hook without `exec` is kept in its place (its index is part of the hook's identity) but never runs. */
  pre: (ExecHook | undefined)[];
  post: (ExecHook | undefined)[];
}

/**
 * The spec's resource hooks, resolved. A label selector Kubernetes would refuse throws, with
 * metav1.LabelSelectorAsSelector's words: Velero's backup then fails as a whole (before this check,
 * `NotIn: []` ran the hook in every pod and a bad value in none).
 */
export function resolveResourceHooks(specs: BackupResourceHookSpec[] | undefined, catalog: ResourceCatalog): ResourceHook[] {
  return (specs ?? []).map((s) => {
    const problem = labelSelectorError(s.labelSelector);
    if (problem) throw new Error(problem);
    return resolveResourceHook(s, catalog);
  });
}

function resolveResourceHook(s: BackupResourceHookSpec, catalog: ResourceCatalog): ResourceHook {
  return {
    name: s.name,
    namespaces: new IncludesExcludes(s.includedNamespaces ?? [], s.excludedNamespaces ?? []),
    resources: new IncludesExcludes(
      (s.includedResources ?? []).map((r) => (r === "*" ? r : catalog.canonical(r))),
      (s.excludedResources ?? []).filter((r) => r !== "*").map((r) => catalog.canonical(r)),
    ),
    labelSelector: s.labelSelector ? fromLabelSelector(s.labelSelector) : undefined,
    pre: (s.pre ?? []).map((h) => h?.exec ?? undefined),
    post: (s.post ?? []).map((h) => h?.exec ?? undefined),
  };
}

function annotation(annotations: Record<string, string>, key: string, phase: HookPhase | ""): string {
  return annotations[phase ? `${phase}.${key}` : key] ?? "";
}

/** The exec hook an annotated pod declares for a phase, if any. */
export function hookFromAnnotations(annotations: Record<string, string> | undefined, phase: HookPhase | "", log?: Logger): ExecHook | undefined {
  const a = annotations ?? {};
  const command = annotation(a, "hook.backup.velero.io/command", phase);
  if (!command) return undefined;
  const onError = annotation(a, "hook.backup.velero.io/on-error", phase);
  const timeout = annotation(a, "hook.backup.velero.io/timeout", phase);
  if (timeout) {
    const problem = goDurationError(timeout);
    if (problem) log?.warn(`Unable to parse provided timeout ${timeout}, using default: ${problem}`);
  }
  return {
    container: annotation(a, "hook.backup.velero.io/container", phase) || undefined,
    command: parseCommand(command),
    onError: onError === "Continue" || onError === "Fail" ? onError : undefined,
    timeout: timeout || undefined,
  };
}

function parseCommand(value: string): string[] {
  if (value.startsWith("[")) {
    try {
      const parsed = JSON.parse(value) as unknown;
      if (Array.isArray(parsed) && parsed.every((x) => typeof x === "string")) return parsed as string[];
    } catch {
      // fall through: the whole value is the command
    }
  }
  return [value];
}

/**
 * Velero's hook tracker: a hook is identified by its pod, source, the container as written (not
 * the default one resolved), phase, hook name and index in its list. It counts as attempted once
 * however often it is added, and its first result alone counts (two spec entries with the same
 * name matching one pod run both commands but count once, as in Velero).
 */
export class HookTracker {
  readonly #executed = new Map<string, boolean>();
  attempted = 0;
  failed = 0;

  add(key: string): void {
    if (this.#executed.has(key)) return;
    this.#executed.set(key, false);
    this.attempted++;
  }

  record(key: string, failed: boolean): void {
    if (this.#executed.get(key) !== false) return;
    this.#executed.set(key, true);
    if (failed) this.failed++;
  }
}

function hookKey(pod: UnstructuredItem, container: string | undefined, source: "annotation" | "spec", hookName: string, phase: HookPhase, index: number): string {
  return JSON.stringify([pod.metadata.namespace ?? "", pod.metadata.name, source, container ?? "", phase, hookName, index]);
}

export interface HookRunContext {
  kube: KubeClient;
  log: Logger;
  tracker: HookTracker;
  hooks: ResourceHook[];
}

/** Runs the phase's hooks for a pod; resolves with an Error when a Fail-mode hook failed. */
export async function runPodHooks(pod: UnstructuredItem, phase: HookPhase, ctx: HookRunContext): Promise<Error | undefined> {
  const ns = pod.metadata.namespace ?? "";
  const name = pod.metadata.name;
  let fromAnnotations = hookFromAnnotations(pod.metadata.annotations, phase, ctx.log);
  if (!fromAnnotations && phase === "pre") fromAnnotations = hookFromAnnotations(pod.metadata.annotations, "", ctx.log);
  // Most pods run no hook: their logger is made only when one runs. Velero's hook lines carry the
  // backup, hook and phase fields but not the pod's namespace or name (so their errors are filed
  // under "Velero" in the backup's results, not under the namespace): the same here.
  let podLog: Logger | undefined;
  const log = (): Logger => (podLog ??= ctx.log.child({ hookPhase: phase }));
  if (fromAnnotations) {
    const key = hookKey(pod, fromAnnotations.container, "annotation", "", phase, 0);
    ctx.tracker.add(key);
    const err = await execHook(pod, fromAnnotations, ANNOTATION_HOOK_NAME, key, { ...ctx, log: log().child({ hookSource: "annotation", hookType: "exec" }) });
    // Only an explicit Fail stops the pod's backup. Velero documents Fail as the default, and its
    // executor logs hookOnError=Fail for an unset mode, but its hook handler (v1.18.1) acts on
    // OnError == Fail alone, so an unset mode continues; velero-ts does what Velero does.
    return err && fromAnnotations.onError === "Fail" ? err : undefined;
  }
  let failure: Error | undefined;
  for (const rh of ctx.hooks) {
    if (!rh.namespaces.shouldInclude(ns) || !rh.resources.shouldInclude("pods")) continue;
    if (rh.labelSelector && !rh.labelSelector.matches(pod.metadata.labels)) continue;
    const hooks = phase === "pre" ? rh.pre : rh.post;
    for (let i = 0; i < hooks.length; i++) {
      const hook = hooks[i];
      if (!hook) continue; // no exec: nothing to run or count
      const key = hookKey(pod, hook.container, "spec", rh.name, phase, i);
      ctx.tracker.add(key);
      // After a Fail-mode failure the remaining hooks are not run; Velero's hook tracker counts
      // them as attempted (added, never recorded), not as failed.
      if (failure) continue;
      const err = await execHook(pod, hook, rh.name, key, { ...ctx, log: log().child({ hookSource: "spec", hookType: "exec" }) });
      // As for annotation hooks: only an explicit Fail stops the remaining hooks (Velero).
      if (err && hook.onError === "Fail") failure = err;
    }
  }
  return failure;
}

async function execHook(pod: UnstructuredItem, hook: ExecHook, hookName: string, key: string, ctx: HookRunContext): Promise<Error | undefined> {
  const err = await execHookInner(pod, hook, hookName, ctx);
  if (err) ctx.log.error({ err: err.message }, "Error executing hook");
  ctx.tracker.record(key, err !== undefined);
  return err;
}

async function execHookInner(pod: UnstructuredItem, hook: ExecHook, hookName: string, ctx: HookRunContext): Promise<Error | undefined> {
  // Velero's executor refuses a hook without a name (a spec entry with `name: ""`) before anything else.
  if (!hookName) return new Error("hookName is required");
  const spec = pod.spec as { containers?: { name: string }[] } | undefined;
  const containers = spec?.containers ?? [];
  const container = hook.container || containers[0]?.name;
  if (!container) return new Error(`need at least 1 container`);
  if (!containers.some((c) => c.name === container)) return new Error(`no such container: "${container}"`);
  if (!hook.command?.length) return new Error("command is required");
  // An unparsable timeout is the default (an annotation's is warned about when read, a spec
  // hook's here, in the words Velero uses for annotations); 0 too, a negative one none.
  let timeoutMs = DEFAULT_EXEC_TIMEOUT_MS;
  if (hook.timeout) {
    try {
      timeoutMs = parseGoDuration(hook.timeout) || DEFAULT_EXEC_TIMEOUT_MS;
    } catch {
      if (hookName !== ANNOTATION_HOOK_NAME) ctx.log.warn({ hookName }, `Unable to parse provided timeout ${hook.timeout}, using default: ${goDurationError(hook.timeout) ?? "invalid duration"}`);
      timeoutMs = DEFAULT_EXEC_TIMEOUT_MS;
    }
  }
  // Written as Velero's logrus writes them: the command as Go prints a []string, the timeout as a metav1.Duration.
  const hookLog = ctx.log.child({ hookName, hookContainer: container, hookCommand: `[${hook.command.join(" ")}]`, hookOnError: hook.onError ?? "Fail", hookTimeout: `{${formatGoDuration(timeoutMs)}}` });
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  if (phase === "Succeeded" || phase === "Failed") {
    hookLog.info(`Pod entered phase ${phase} before some post-backup exec hooks ran`);
    return undefined;
  }
  hookLog.info("running exec hook");
  try {
    const result = await ctx.kube.exec({ namespace: pod.metadata.namespace ?? "", pod: pod.metadata.name, container, command: hook.command, timeoutMs: execTimeoutMs(timeoutMs) });
    hookLog.info(`stdout: ${result.stdout}`);
    hookLog.info(`stderr: ${result.stderr}`);
    if (result.exitCode !== 0) return new Error(`command terminated with exit code ${result.exitCode}`);
    return undefined;
  } catch (err) {
    // Velero logs the output whenever the exec stream ended, whatever its error, and not on its own timeout.
    const timedOut = err instanceof KubeApiError && err.reason === "Timeout";
    if (!timedOut) {
      hookLog.info(`stdout: ${err instanceof ExecError ? err.stdout : ""}`);
      hookLog.info(`stderr: ${err instanceof ExecError ? err.stderr : ""}`);
    }
    // The errors Velero's executor returns: the node's status message, or its timeout.
    return new Error(execFailureText(err, formatGoDuration(timeoutMs)));
  }
}
