/** Glob patterns as gobwas/glob compiles them without separators: * ? [abc] [!a-z] {a,b} and \ escapes. */

const cache = new Map<string, RegExp | null>();

/** A RegExp matching the whole string, or null when the pattern is malformed. */
export function globToRegExp(pattern: string): RegExp | null {
  if (cache.has(pattern)) return cache.get(pattern) ?? null;
  let re: RegExp | null;
  try {
    re = new RegExp(`^${translate(pattern)}$`, "s");
  } catch {
    re = null;
  }
  cache.set(pattern, re);
  return re;
}

/** Whether globMatch treats `pattern` as a pattern (else it matches only itself). */
export function isGlobPattern(pattern: string): boolean {
  return /[*?[{\\]/.test(pattern);
}

export function globMatch(pattern: string, text: string): boolean {
  if (!isGlobPattern(pattern)) return pattern === text;
  return globToRegExp(pattern)?.test(text) ?? false;
}

function translate(p: string): string {
  let out = "";
  let depth = 0;
  for (let i = 0; i < p.length; i++) {
    const c = p[i] as string;
    switch (c) {
      case "\\":
        i++;
        out += escapeRe(p[i] ?? "\\");
        break;
      case "*":
        out += ".*";
        break;
      case "?":
        out += ".";
        break;
      case "[": {
        const end = p.indexOf("]", i + 1);
        if (end < 0) throw new Error("unclosed [");
        let body = p.slice(i + 1, end);
        let neg = false;
        if (body.startsWith("!")) {
          neg = true;
          body = body.slice(1);
        }
        if (body === "") throw new Error("empty []");
        out += `[${neg ? "^" : ""}${body.replace(/[\\\]^]/g, (m) => `\\${m}`)}]`;
        i = end;
        break;
      }
      case "{":
        depth++;
        out += "(?:";
        break;
      case "}":
        if (depth === 0) throw new Error("unmatched }");
        depth--;
        out += ")";
        break;
      case ",":
        out += depth > 0 ? "|" : ",";
        break;
      default:
        out += escapeRe(c);
    }
  }
  if (depth !== 0) throw new Error("unclosed {");
  return out;
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
