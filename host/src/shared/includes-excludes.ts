/**
 * Velero's checks of include/exclude lists (pkg/util/collections/includes_excludes.go), shared by
 * the backup controller's validation and the CLI's create commands, which run the same check.
 */

/** ValidateIncludesExcludes: '*' alone or not at all, nothing both included and excluded. */
export function validateIncludesExcludes(includes: string[] = [], excludes: string[] = []): string[] {
  const inc = new Set(includes);
  const exc = new Set(excludes);
  const errs: string[] = [];
  if (inc.size > 1 && inc.has("*")) errs.push("includes list must either contain '*' only, or a non-empty list of items");
  if (exc.has("*")) errs.push("excludes list cannot contain '*'");
  for (const e of [...exc].sort()) if (inc.has(e)) errs.push(`excludes list cannot contain an item in the includes list: ${e}`);
  return errs;
}

const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** ValidateNamespaceIncludesExcludes: the lists, then each name as a glob over a DNS-1123 label. */
export function validateNamespaceIncludesExcludes(includes: string[] = [], excludes: string[] = []): string[] {
  const errs = validateIncludesExcludes(includes, excludes);
  for (const ns of [...new Set([...includes].sort()), ...new Set([...excludes].sort())]) {
    if (ns === "" || ns === "*") continue;
    if (/[|()!{},]/.test(ns)) {
      errs.push("wildcard pattern contains unsupported characters: |, (, ), !, {, }, ,");
      continue;
    }
    if (ns.includes("**")) {
      errs.push("wildcard pattern contains consecutive asterisks (only single * allowed)");
      continue;
    }
    const bracket = bracketProblem(ns);
    if (bracket) {
      errs.push(bracket);
      continue;
    }
    // apimachinery's IsDNS1123Label on the name with its glob characters replaced
    const plain = ns.replace(/[*?[\]]/g, "x");
    if (plain.length > 63) errs.push(`invalid namespace "${ns}": must be no more than 63 characters`);
    if (!NAMESPACE_NAME.test(plain)) {
      errs.push(
        DNS_SUBDOMAIN.test(plain)
          ? `invalid namespace "${ns}": must not contain dots`
          : `invalid namespace "${ns}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
      );
    }
  }
  return errs;
}

/**
 * A restore's namespaceMapping: each target must be a namespace name Kubernetes accepts (Velero
 * does not check, and every item of the namespace then fails with the API server's long error).
 */
export function validateNamespaceMapping(mapping: Record<string, string> = {}): string[] {
  const errs: string[] = [];
  for (const [from, to] of Object.entries(mapping)) {
    if (to.length > 63 || !NAMESPACE_NAME.test(to)) {
      errs.push(
        `invalid namespaceMapping "${from}: ${to}": "${to}" is not a valid namespace name (at most 63 lower case letters, digits or '-', starting and ending with a letter or digit)`,
      );
    }
  }
  return errs;
}

function bracketProblem(p: string): string | undefined {
  for (let i = 0; i < p.length; i++) {
    if (p[i] === "[") {
      const end = p.indexOf("]", i + 1);
      if (end < 0) return "wildcard pattern contains unclosed bracket '['";
      if (end === i + 1) return "wildcard pattern contains empty bracket pattern '[]'";
      i = end;
    } else if (p[i] === "]") return "wildcard pattern contains unmatched closing bracket ']'";
  }
  return undefined;
}
