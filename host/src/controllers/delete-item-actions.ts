/**
 * Runs DeleteItemAction plugins over the items of a backup being deleted (Velero's
 * delete.InvokeDeleteActions): the tarball is streamed, each unversioned item
 * (`resources/<GR>/namespaces/<ns>/<name>.json` or `resources/<GR>/cluster/<name>.json`) is matched
 * against every action's AppliesTo selector and handed to the matching actions. A failing action
 * is logged and does not stop the others (Velero's behaviour).
 */
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { extract } from "tar-stream";
import { parseLosslessJson, resourceSelectorOf, type Backup, type DeleteItemAction, type UnstructuredItem } from "@velero-ts/plugin-sdk";
import type { ApiResource } from "../kube/client.js";
import { groupResourceString, parseGroupResource } from "../kube/gvr.js";
import { parseLabelSelector, type LabelSelector } from "../kube/labels.js";
import type { NamedAction } from "../plugins/manager.js";
import { IncludesExcludes } from "../restore/filters.js";
import type { Logger } from "../shared/logging.js";

interface ResolvedAction {
  name: string;
  action: DeleteItemAction;
  /** Velero's glob sets; a "*" among the excluded resources is dropped, as Velero drops it. */
  resources: IncludesExcludes;
  namespaces: IncludesExcludes;
  selector: LabelSelector;
}

export interface InvokeDeleteItemActionsInput {
  backup: Backup;
  /** gzip(tar) of the backup contents. */
  contents: Readable;
  actions: NamedAction<DeleteItemAction>[];
  /** Served resources, to resolve short names and kinds in AppliesTo to "<resource>.<group>". */
  resources: ApiResource[];
  log: Logger;
}

/** Resolves the selectors first (a bad selector fails the whole call), then streams the items. */
export async function invokeDeleteItemActions(input: InvokeDeleteItemActionsInput): Promise<void> {
  const resolved: ResolvedAction[] = [];
  for (const { name, action } of input.actions) {
    const applies = resourceSelectorOf(await action.appliesTo());
    resolved.push({
      name,
      action,
      resources: new IncludesExcludes(
        applies.includedResources.map((r) => resolveResource(r, input.resources)),
        applies.excludedResources.filter((r) => r !== "*").map((r) => resolveResource(r, input.resources)),
      ),
      namespaces: new IncludesExcludes(applies.includedNamespaces, applies.excludedNamespaces),
      selector: parseLabelSelector(applies.selector),
    });
  }
  if (resolved.length === 0) return;

  const tar = extract();
  const piping = pipeline(input.contents, createGunzip(), tar);
  piping.catch(() => {}); // surfaced through the iteration below, awaited at the end
  for await (const entry of tar) {
    const body = await readEntry(entry);
    await runActionsOnEntry(entry.header.name, body, resolved, input);
  }
  await piping;
}

async function readEntry(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Parses an unversioned item path; undefined for metadata/version, versioned copies and the rest. */
export function parseItemPath(path: string): { groupResource: string; namespace: string } | undefined {
  const parts = path.replace(/^\.\//, "").split("/");
  if (parts[0] !== "resources" || !parts.at(-1)?.endsWith(".json")) return undefined;
  if (parts.length === 4 && parts[2] === "cluster") return { groupResource: parts[1] ?? "", namespace: "" };
  if (parts.length === 5 && parts[2] === "namespaces") return { groupResource: parts[1] ?? "", namespace: parts[3] ?? "" };
  return undefined;
}

async function runActionsOnEntry(path: string, body: Buffer, actions: ResolvedAction[], input: InvokeDeleteItemActionsInput): Promise<void> {
  const where = parseItemPath(path);
  if (!where) return;
  const applicable = actions.filter((a) => appliesTo(a, where.groupResource, where.namespace));
  if (applicable.length === 0) return;
  const item = parseLosslessJson(body.toString("utf8")) as UnstructuredItem; // a syntax error quotes no Secret data
  for (const a of applicable) {
    if (!a.selector.matches(item.metadata?.labels)) continue;
    try {
      await a.action.execute(item, input.backup);
    } catch (err) {
      input.log.error({ err, plugin: a.name, resource: where.groupResource, namespace: where.namespace, name: item.metadata?.name }, "delete item action failed");
    }
  }
}

/**
 * Velero's ResolvedAction.ShouldUse: resources, then namespaces (glob sets); a cluster-scoped item
 * only when the namespaces are unrestricted (no excludes, includes empty or just "*").
 */
function appliesTo(a: ResolvedAction, groupResource: string, namespace: string): boolean {
  if (!a.resources.shouldInclude(groupResource)) return false;
  if (namespace === "") return a.namespaces.includeEverything();
  return a.namespaces.shouldInclude(namespace);
}

/** "po" / "pod" / "Pod" / "pods" → "pods"; "volumesnapshotcontents.snapshot.storage.k8s.io" stays. */
export function resolveResource(text: string, resources: ApiResource[]): string {
  if (text === "*") return text;
  const { group, resource } = parseGroupResource(text.toLowerCase());
  const hit = resources.find(
    (r) =>
      (group === "" || r.group === group) &&
      (r.resource === resource || r.kind.toLowerCase() === resource || r.shortNames.includes(resource)),
  );
  return hit ? groupResourceString(hit.group, hit.resource) : text.toLowerCase();
}
