/**
 * Restore item actions with their AppliesTo selectors resolved through discovery (Velero's
 * ResolvedAction): resource names become "resource.group", namespaces and labels become matchers.
 */
import { resourceSelectorOf, type RestoreItemActionV2 } from "@velero-ts/plugin-sdk";
import type { NamedAction } from "../plugins/manager.js";
import type { ResourceResolver } from "./discovery.js";
import { IncludesExcludes } from "./filters.js";
import { EVERYTHING, parseLabelSelector, type LabelSelector as LabelMatcher } from "../kube/labels.js";
import type { SerialCalls } from "../shared/serial-calls.js";

export interface ResolvedRestoreItemAction {
  name: string;
  action: RestoreItemActionV2;
  resources: IncludesExcludes;
  namespaces: IncludesExcludes;
  selector: LabelMatcher;
}

/** Maps resource names to "resource.group" through discovery; unresolvable names stay as given. */
export async function resolveResourceList(resolver: ResourceResolver, names: readonly string[] = []): Promise<string[]> {
  const out: string[] = [];
  for (const name of names) {
    if (name === "*") {
      out.push(name);
      continue;
    }
    out.push((await resolver.resolve(name))?.groupResource ?? name);
  }
  return out;
}

export async function resolveResourceIncludesExcludes(
  resolver: ResourceResolver,
  includes: readonly string[] = [],
  excludes: readonly string[] = [],
): Promise<IncludesExcludes> {
  return new IncludesExcludes(await resolveResourceList(resolver, includes), await resolveResourceList(resolver, excludes.filter((e) => e !== "*")));
}

/** `serial`: calls into actions served by plugin processes go through it (one at a time, as Velero makes them). */
export async function resolveRestoreItemActions(
  resolver: ResourceResolver,
  actions: readonly NamedAction<RestoreItemActionV2>[],
  serial?: SerialCalls,
): Promise<ResolvedRestoreItemAction[]> {
  const out: ResolvedRestoreItemAction[] = [];
  for (const { name, action: plain, external } of actions) {
    const action = external && serial ? serial.wrap(plain) : plain;
    const s = resourceSelectorOf(await action.appliesTo());
    let selector = EVERYTHING;
    if (s.selector !== "") {
      try {
        selector = parseLabelSelector(s.selector);
      } catch (err) {
        throw new Error(`restore item action "${name}" has an invalid label selector: ${(err as Error).message}`, { cause: err });
      }
    }
    out.push({
      name,
      action,
      resources: await resolveResourceIncludesExcludes(resolver, s.includedResources, s.excludedResources),
      namespaces: new IncludesExcludes(s.includedNamespaces, s.excludedNamespaces),
      selector,
    });
  }
  return out;
}

/** Velero's ShouldUse. */
export function actionApplies(a: ResolvedRestoreItemAction, groupResource: string, namespace: string, labels: Readonly<Record<string, string>> | undefined): boolean {
  if (!a.resources.shouldInclude(groupResource)) return false;
  if (namespace !== "" && !a.namespaces.shouldInclude(namespace)) return false;
  if (namespace === "" && !a.namespaces.includeEverything()) return false;
  return a.selector.matches(labels);
}
