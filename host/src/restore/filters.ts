/**
 * Include/exclude lists as Velero evaluates them: `*` in the includes means everything, excludes
 * win, and entries are glob patterns (`*`, `?`, `[abc]`, `{a,b}`) like Velero's gobwas/glob sets
 * (a malformed one, such as an unclosed `[`, matches nothing, as gobwas fails to compile it).
 */
import { globMatch } from "../shared/glob.js";

/** Compiles a glob to a RegExp. With `separator`, `*` and `?` never cross it but `**` does. */
export function globToRegExp(pattern: string, separator?: string): RegExp {
  const sep = separator === undefined ? "" : escapeRegExp(separator);
  const any = sep === "" ? "." : `[^${sep}]`;
  let out = "";
  let inClass = false;
  let braceDepth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    if (inClass) {
      if (c === "]") inClass = false;
      out += c === "\\" ? "\\\\" : c;
      continue;
    }
    switch (c) {
      case "*":
        if (pattern[i + 1] === "*") {
          out += ".*";
          i++;
        } else out += `${any}*`;
        break;
      case "?":
        out += any;
        break;
      case "[":
        inClass = true;
        out += pattern[i + 1] === "!" ? (i++, "[^") : "[";
        break;
      case "{":
        braceDepth++;
        out += "(?:";
        break;
      case "}":
        if (braceDepth > 0) {
          braceDepth--;
          out += ")";
        } else out += "\\}";
        break;
      case ",":
        out += braceDepth > 0 ? "|" : ",";
        break;
      case "\\":
        out += escapeRegExp(pattern[i + 1] ?? "\\");
        i++;
        break;
      default:
        out += escapeRegExp(c);
    }
  }
  return new RegExp(`^${out}$`);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}

export class IncludesExcludes {
  readonly #includes: string[];
  readonly #excludes: string[];
  readonly #includeMatchers: ((value: string) => boolean)[];
  readonly #excludeMatchers: ((value: string) => boolean)[];

  constructor(includes: readonly string[] = [], excludes: readonly string[] = []) {
    this.#includes = [...new Set(includes)];
    this.#excludes = [...new Set(excludes)];
    this.#includeMatchers = this.#includes.map((p) => (value: string) => globMatch(p, value));
    this.#excludeMatchers = this.#excludes.map((p) => (value: string) => globMatch(p, value));
  }

  get includes(): string[] {
    return [...this.#includes];
  }

  get excludes(): string[] {
    return [...this.#excludes];
  }

  shouldInclude(value: string): boolean {
    if (this.#excludeMatchers.some((matches) => matches(value))) return false;
    return this.#includes.length === 0 || this.#includes.includes("*") || this.#includeMatchers.some((matches) => matches(value));
  }

  /** True when the includes are empty or just `*` and nothing is excluded. */
  includeEverything(): boolean {
    return this.#excludes.length === 0 && (this.#includes.length === 0 || (this.#includes.length === 1 && this.#includes[0] === "*"));
  }
}

/** Velero's ValidateIncludesExcludes: problems with a pair of include/exclude lists. */
export function validateIncludesExcludes(includes: readonly string[] = [], excludes: readonly string[] = []): string[] {
  const errors: string[] = [];
  const inc = new Set(includes);
  const exc = new Set(excludes);
  if (inc.size > 1 && inc.has("*")) errors.push("includes list must either contain '*' only, or a non-empty list of items");
  if (exc.has("*")) errors.push("excludes list cannot contain '*'");
  for (const item of [...exc].sort()) {
    if (inc.has(item)) errors.push(`excludes list cannot contain an item in the includes list: ${item}`);
  }
  return errors;
}
