/**
 * Velero's include/exclude filters (pkg/util/collections): glob sets, namespaces with wildcard
 * expansion against the active namespaces, the old resource filters with the cluster-scoped
 * tri-state, the new cluster/namespace-scoped filters, and the validation messages.
 */
import type { BackupSpec } from "@velero-ts/plugin-sdk";
import { globMatch, isGlobPattern } from "../shared/glob.js";
import type { ResourceCatalog } from "./resources.js";

const hasWildcard = (p: string): boolean => /[*?[]/.test(p);

export class IncludesExcludes {
  readonly includes: Set<string>;
  readonly excludes: Set<string>;
  readonly #decided = new Map<string, boolean>();
  /** The patterns with a wildcard (the others match by a Set lookup: thousands of names stay cheap). */
  readonly #includeGlobs: string[];
  readonly #excludeGlobs: string[];

  constructor(includes: Iterable<string> = [], excludes: Iterable<string> = []) {
    this.includes = new Set(includes);
    this.excludes = new Set(excludes);
    this.#includeGlobs = [...this.includes].filter(isGlobPattern);
    this.#excludeGlobs = [...this.excludes].filter(isGlobPattern);
  }

  static #match(set: Set<string>, globs: string[], s: string): boolean {
    if (set.has(s)) return true;
    for (const p of globs) if (globMatch(p, s)) return true;
    return false;
  }

  includesMatch(s: string): boolean {
    return IncludesExcludes.#match(this.includes, this.#includeGlobs, s);
  }

  excludesMatch(s: string): boolean {
    return IncludesExcludes.#match(this.excludes, this.#excludeGlobs, s);
  }

  shouldInclude(s: string): boolean {
    // Asked once or twice per item with few distinct values (namespaces, resources): remembered.
    let r = this.#decided.get(s);
    if (r === undefined) {
      r = !this.excludesMatch(s) && (this.includes.size === 0 || this.includes.has("*") || this.includesMatch(s));
      if (this.#decided.size < 10_000) this.#decided.set(s, r);
    }
    return r;
  }

  includeEverything(): boolean {
    return this.excludes.size === 0 && (this.includes.size === 0 || (this.includes.size === 1 && this.includes.has("*")));
  }

  includesString(): string {
    return this.includes.size ? [...this.includes].sort().join(", ") : "*";
  }

  excludesString(): string {
    return this.excludes.size ? [...this.excludes].sort().join(", ") : "<none>";
  }
}


/** Namespace filter; glob patterns are expanded against the namespaces that exist. */
export class NamespaceFilter {
  filter: IncludesExcludes;
  wildcardExpanded = false;
  readonly active: string[];

  constructor(active: string[], includes: string[] = [], excludes: string[] = []) {
    this.active = active;
    this.filter = new IncludesExcludes(includes, excludes);
    const inc = [...this.filter.includes];
    const exc = [...this.filter.excludes];
    if (!inc.includes("*") && [...inc, ...exc].some(hasWildcard)) {
      this.filter = new IncludesExcludes(this.#expand(inc), this.#expand(exc));
      this.wildcardExpanded = true;
    }
  }

  /**
   * Whether the filter needs the cluster's namespaces: glob patterns other than "*" are expanded
   * against them, and a plain list of included namespaces with no excludes is "everything" when it
   * names every namespace (Velero's IncludeEverything, which decides whether cluster-scoped
   * resources come along when includeClusterResources is unset).
   */
  static needsActiveNamespaces(includes: string[], excludes: string[]): boolean {
    if (includes.includes("*")) return false;
    return [...includes, ...excludes].some(hasWildcard) || (excludes.length === 0 && includes.length > 0);
  }

  #expand(patterns: string[]): string[] {
    const out = new Set<string>();
    for (const p of patterns) {
      if (!hasWildcard(p)) out.add(p);
      else for (const ns of this.active) if (globMatch(p, ns)) out.add(ns);
    }
    return [...out];
  }

  shouldInclude(ns: string): boolean {
    if (this.wildcardExpanded && this.filter.includes.size === 0) return false;
    return this.filter.shouldInclude(ns);
  }

  /**
   * Velero's NamespaceIncludesExcludes.IncludeEverything: no excludes, and no includes (also when a
   * glob matched no namespace), only "*", or exactly the cluster's namespaces.
   */
  includeEverything(): boolean {
    const { includes, excludes } = this.filter;
    if (excludes.size > 0) return false;
    if (includes.size === 0 || (includes.size === 1 && includes.has("*"))) return true;
    return this.active.length === includes.size && this.active.every((ns) => includes.has(ns));
  }

  /** Active namespaces the filter selects. */
  resolve(): string[] {
    return this.active.filter((ns) => this.shouldInclude(ns));
  }

  #toList: string[] | undefined;

  /** Namespaces to LIST in: [""] means all at once. (The same for every resource: computed once.) */
  namespacesToList(): string[] {
    if (this.#toList) return this.#toList;
    if (this.shouldInclude("*") && !this.wildcardExpanded) return (this.#toList = [""]);
    return (this.#toList = [...this.filter.includes].filter((ns) => this.shouldInclude(ns)));
  }
}

/** The resource filter of a backup: answers by "resource.group". */
export interface ResourceFilter {
  /** Whether items of this resource are collected. */
  shouldInclude(gr: string): boolean;
  /** Whether a cluster-scoped resource is excluded (additional items and CRDs check this). */
  shouldExclude(gr: string): boolean;
}

/** Old-style filters: includedResources/excludedResources + includeClusterResources (true/false/auto). */
export class GlobalResourceFilter implements ResourceFilter {
  readonly resources: IncludesExcludes;
  constructor(
    private readonly catalog: ResourceCatalog,
    includes: string[],
    excludes: string[],
    private readonly includeClusterResources: boolean | undefined,
    private readonly namespaces: NamespaceFilter,
  ) {
    this.resources = new IncludesExcludes(
      includes.map((i) => (i === "*" ? i : catalog.canonical(i))),
      excludes.filter((e) => e !== "*").map((e) => catalog.canonical(e)),
    );
  }

  shouldInclude(gr: string): boolean {
    const r = this.catalog.byGroupResource(gr) ?? this.catalog.resolve(gr);
    if (!r) return false;
    if (!r.namespaced && this.includeClusterResources === false) return false;
    if (gr !== "namespaces" && !r.namespaced && this.includeClusterResources === undefined && !this.namespaces.includeEverything()) return false;
    return this.resources.shouldInclude(gr);
  }

  shouldExclude(gr: string): boolean {
    if (this.resources.excludesMatch(gr)) return true;
    const r = this.catalog.byGroupResource(gr) ?? this.catalog.resolve(gr);
    if (!r) return true;
    if (!r.namespaced) {
      if (this.includeClusterResources === false) return true;
      if (this.includeClusterResources === undefined && !this.resources.shouldInclude(gr)) return true;
    }
    return false;
  }
}

type ScopedFilterLists = Pick<
  BackupSpec,
  "includedNamespaceScopedResources" | "excludedNamespaceScopedResources" | "includedClusterScopedResources" | "excludedClusterScopedResources"
>;

/**
 * New-style filters: separate include/exclude lists for cluster- and namespace-scoped resources,
 * optionally combined with a resource policy's includeExcludePolicy (Velero's CombineWithPolicy).
 */
export class ScopedResourceFilter implements ResourceFilter {
  readonly namespaced: IncludesExcludes;
  readonly cluster: IncludesExcludes;
  constructor(
    private readonly catalog: ResourceCatalog,
    spec: ScopedFilterLists,
    private readonly namespaces: NamespaceFilter,
    policy?: ScopedFilterLists,
  ) {
    const map = (items: string[] | undefined, namespaced: boolean): string[] =>
      (items ?? []).flatMap((i) => {
        if (i === "*") return [i];
        const r = catalog.resolve(i);
        if (!r) return [i];
        return r.namespaced === namespaced ? [catalog.canonical(i)] : [];
      });
    const scope = (namespaced: boolean): IncludesExcludes => {
      const [inc, exc] = namespaced
        ? ([spec.includedNamespaceScopedResources, spec.excludedNamespaceScopedResources] as const)
        : ([spec.includedClusterScopedResources, spec.excludedClusterScopedResources] as const);
      const includes = map(inc, namespaced);
      const excludes = map(exc, namespaced);
      if (policy) {
        const [pInc, pExc] = namespaced
          ? [policy.includedNamespaceScopedResources, policy.excludedNamespaceScopedResources]
          : [policy.includedClusterScopedResources, policy.excludedClusterScopedResources];
        // The backup's own lists win: a policy item is added only when neither list matches it yet.
        const known = (item: string): boolean => [...includes, ...excludes].some((p) => globMatch(p, item));
        for (const item of map(pExc, namespaced)) if (!known(item)) excludes.push(item);
        for (const item of map(pInc, namespaced)) if (!known(item)) includes.push(item);
      }
      return new IncludesExcludes(includes, excludes);
    };
    this.namespaced = scope(true);
    this.cluster = scope(false);
  }

  shouldInclude(gr: string): boolean {
    const r = this.catalog.byGroupResource(gr) ?? this.catalog.resolve(gr);
    if (!r) return false;
    if (r.namespaced) {
      if (this.namespaced.excludes.has("*") || this.namespaced.excludesMatch(gr)) return false;
      return this.namespaced.includes.size === 0 || this.namespaced.includes.has("*") || this.namespaced.includesMatch(gr);
    }
    if (this.cluster.excludes.has("*") || this.cluster.excludesMatch(gr)) return false;
    if (this.cluster.includes.size === 0 && this.cluster.excludes.size === 0 && this.namespaces.includeEverything() && this.namespaced.includeEverything()) {
      return true;
    }
    return this.cluster.includes.has("*") || this.cluster.includesMatch(gr) || gr === "namespaces";
  }

  shouldExclude(gr: string): boolean {
    const r = this.catalog.byGroupResource(gr) ?? this.catalog.resolve(gr);
    if (!r) return true;
    return r.namespaced ? this.namespaced.excludesMatch(gr) : this.cluster.excludesMatch(gr);
  }
}

export function useOldResourceFilters(spec: BackupSpec): boolean {
  return spec.includeClusterResources !== undefined && spec.includeClusterResources !== null
    ? true
    : (spec.includedResources?.length ?? 0) > 0 || (spec.excludedResources?.length ?? 0) > 0;
}

export function oldAndNewFiltersMixed(spec: BackupSpec): boolean {
  const oldUsed = useOldResourceFilters(spec);
  const newUsed =
    (spec.includedClusterScopedResources?.length ?? 0) > 0 ||
    (spec.excludedClusterScopedResources?.length ?? 0) > 0 ||
    (spec.includedNamespaceScopedResources?.length ?? 0) > 0 ||
    (spec.excludedNamespaceScopedResources?.length ?? 0) > 0;
  return oldUsed && newUsed;
}


export function validateScopedIncludesExcludes(includes: string[] = [], excludes: string[] = []): string[] {
  const inc = new Set(includes);
  const exc = new Set(excludes);
  const errs: string[] = [];
  if (inc.size > 1 && inc.has("*")) errs.push("includes list must either contain '*' only, or a non-empty list of items");
  if (exc.size > 1 && exc.has("*")) errs.push("excludes list must either contain '*' only, or a non-empty list of items");
  if (inc.size > 0 && exc.has("*")) errs.push("when exclude is '*', include cannot have value");
  for (const e of [...exc].sort()) if (inc.has(e)) errs.push(`excludes list cannot contain an item in the includes list: ${e}`);
  return errs;
}
