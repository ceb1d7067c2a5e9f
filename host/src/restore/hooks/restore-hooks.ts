/**
 * Restore hooks (velero-compat.md 5.3 / 5.8): init containers injected into restored pods and
 * exec hooks run in restored pods once their containers are up. Annotation hooks on a pod take
 * priority over the restore spec's hooks.
 */
import { randomUUID } from "node:crypto";
import type { V1Container } from "@kubernetes/client-node";
import type { RestoreExecHook, RestoreResourceHookSpec, RestoreSpec, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { IncludesExcludes } from "../filters.js";
import { EVERYTHING, fromLabelSelector, type LabelSelector as LabelMatcher } from "../../kube/labels.js";
import { ANNOTATION_HOOK_NAME } from "../../shared/hooks.js";
import { parseGoBool } from "../../shared/strconv.js";

export const RESTORE_HOOK_ANNOTATIONS = {
  container: "post.hook.restore.velero.io/container",
  command: "post.hook.restore.velero.io/command",
  onError: "post.hook.restore.velero.io/on-error",
  execTimeout: "post.hook.restore.velero.io/exec-timeout",
  waitTimeout: "post.hook.restore.velero.io/wait-timeout",
  waitForReady: "post.hook.restore.velero.io/wait-for-ready",
  initContainerImage: "init.hook.restore.velero.io/container-image",
  initContainerName: "init.hook.restore.velero.io/container-name",
  initCommand: "init.hook.restore.velero.io/command",
  initTimeout: "init.hook.restore.velero.io/timeout",
} as const;

/** The init container Velero's pod-volume restore injects; hook init containers go after it. */
export const RESTORE_WAIT_INIT_CONTAINER = "restore-wait";

export interface ResourceRestoreHook {
  name: string;
  namespaces: IncludesExcludes;
  selector: LabelMatcher;
  hooks: NonNullable<RestoreResourceHookSpec["postHooks"]>;
}

/** Parses `spec.hooks.resources` (these hooks only ever apply to pods). */
export function restoreHooksFromSpec(hooks: RestoreSpec["hooks"]): ResourceRestoreHook[] {
  return (hooks?.resources ?? []).map((r) => ({
    name: r.name,
    namespaces: new IncludesExcludes(r.includedNamespaces, r.excludedNamespaces),
    selector: r.labelSelector ? fromLabelSelector(r.labelSelector) : EVERYTHING,
    hooks: r.postHooks ?? [],
  }));
}

/** Velero's ValidateContainer: init hook containers need name, image and command. */
export function validateInitContainer(raw: unknown): string | undefined {
  const c = (typeof raw === "object" && raw !== null ? raw : {}) as Partial<V1Container>;
  if (!Array.isArray(c.command) || c.command.length === 0 || !c.name || !c.image) {
    return "invalid InitContainer in restore hook, it doesn't have Command, Name or Image field";
  }
  return undefined;
}

/** A plain string, or a JSON array of strings. */
export function parseHookCommand(value: string): string[] {
  if (value.startsWith("[")) {
    try {
      const parsed = JSON.parse(value) as unknown;
      if (Array.isArray(parsed) && parsed.every((p) => typeof p === "string")) return parsed;
    } catch {
      // not JSON: the whole value is the command
    }
  }
  return [value];
}

function initContainerFromAnnotations(annotations: Record<string, string>): V1Container | undefined {
  const image = annotations[RESTORE_HOOK_ANNOTATIONS.initContainerImage];
  if (!image) return undefined;
  const command = annotations[RESTORE_HOOK_ANNOTATIONS.initCommand] ?? "";
  const name = annotations[RESTORE_HOOK_ANNOTATIONS.initContainerName] || `velero-restore-init-${randomUUID().split("-")[0]}`;
  return { name, image, command: command === "" ? [] : parseHookCommand(command) };
}

/**
 * Adds the init containers of the applicable hooks to a pod (returns a new object). Spec hooks are
 * matched against the namespace the pod is restored into.
 */
export function addInitRestoreHooks(pod: UnstructuredItem, spec: RestoreSpec): UnstructuredItem {
  const out = structuredClone(pod);
  const podSpec = ((out.spec ??= {}) as { initContainers?: V1Container[] });
  const existing = [...(podSpec.initContainers ?? [])];
  const injected: V1Container[] = [];
  if (existing[0]?.name === RESTORE_WAIT_INIT_CONTAINER) injected.push(existing.shift() as V1Container);
  const fromAnnotations = initContainerFromAnnotations(out.metadata.annotations ?? {});
  if (fromAnnotations) {
    injected.push(fromAnnotations);
  } else {
    const original = out.metadata.namespace ?? "";
    const namespace = spec.namespaceMapping?.[original] ?? original;
    for (const rh of restoreHooksFromSpec(spec.hooks)) {
      if (!rh.namespaces.shouldInclude(namespace) || !rh.selector.matches(out.metadata.labels)) continue;
      for (const hook of rh.hooks) {
        for (const raw of hook.init?.initContainers ?? []) {
          const problem = validateInitContainer(raw);
          if (problem) throw new Error(problem);
          injected.push(raw as V1Container);
        }
      }
    }
  }
  if (injected.length === 0 && podSpec.initContainers === undefined) return out;
  podSpec.initContainers = [...injected, ...existing];
  return out;
}

export interface PodExecRestoreHook {
  hookName: string;
  source: "annotation" | "spec";
  hook: RestoreExecHook & { container: string };
}

function execHookFromAnnotations(annotations: Record<string, string>, parseDuration: (s: string) => number): RestoreExecHook | undefined {
  const command = annotations[RESTORE_HOOK_ANNOTATIONS.command];
  if (!command) return undefined;
  const onError = annotations[RESTORE_HOOK_ANNOTATIONS.onError];
  const hook: RestoreExecHook = { command: parseHookCommand(command) };
  const container = annotations[RESTORE_HOOK_ANNOTATIONS.container];
  if (container) hook.container = container;
  if (onError === "Continue" || onError === "Fail") hook.onError = onError;
  for (const [key, field] of [
    [RESTORE_HOOK_ANNOTATIONS.execTimeout, "execTimeout"],
    [RESTORE_HOOK_ANNOTATIONS.waitTimeout, "waitTimeout"],
  ] as const) {
    const v = annotations[key];
    if (v) {
      try {
        parseDuration(v);
        hook[field] = v;
      } catch {
        // Velero ignores an unparsable timeout
      }
    }
  }
  // Go's strconv.ParseBool, as Velero ("True", "1" are true too; anything else is false)
  hook.waitForReady = parseGoBool(annotations[RESTORE_HOOK_ANNOTATIONS.waitForReady] ?? "") === true;
  return hook;
}

/**
 * The exec hooks to run in a restored pod, grouped by container (Velero's GroupRestoreExecHooks):
 * the annotation hook if present, else every applicable spec hook, in order. A hook without a
 * container targets the pod's first container.
 */
export function groupRestoreExecHooks(
  pod: UnstructuredItem,
  hooks: readonly ResourceRestoreHook[],
  parseDuration: (s: string) => number,
): Map<string, PodExecRestoreHook[]> {
  const byContainer = new Map<string, PodExecRestoreHook[]>();
  const containers = ((pod.spec as { containers?: V1Container[] } | undefined)?.containers ?? []);
  const first = containers[0]?.name;
  if (first === undefined) return byContainer;
  const fromAnnotations = execHookFromAnnotations(pod.metadata.annotations ?? {}, parseDuration);
  if (fromAnnotations) {
    const container = fromAnnotations.container ?? first;
    byContainer.set(container, [{ hookName: ANNOTATION_HOOK_NAME, source: "annotation", hook: { ...fromAnnotations, container } }]);
    return byContainer;
  }
  const namespace = pod.metadata.namespace ?? "";
  for (const rh of hooks) {
    if (!rh.namespaces.shouldInclude(namespace) || !rh.selector.matches(pod.metadata.labels)) continue;
    for (const h of rh.hooks) {
      if (!h.exec) continue;
      const container = h.exec.container || first;
      const list = byContainer.get(container) ?? [];
      list.push({ hookName: rh.name, source: "spec", hook: { waitForReady: false, ...h.exec, container } });
      byContainer.set(container, list);
    }
  }
  return byContainer;
}
