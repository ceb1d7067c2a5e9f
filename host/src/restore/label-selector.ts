/**
 * Kubernetes label selectors: the structured form (matchLabels / matchExpressions) and the string
 * form used by item-action AppliesTo selectors ("a=b,c!=d,e in (x,y),!f,g").
 */
import type { V1LabelSelector } from "@kubernetes/client-node";

export type Labels = Readonly<Record<string, string>>;

type Requirement =
  | { key: string; op: "in" | "notin"; values: string[] }
  | { key: string; op: "exists" | "doesnotexist" };

export interface LabelMatcher {
  matches(labels: Labels | undefined): boolean;
  /** True when the selector selects everything. */
  readonly empty: boolean;
}

function matcherOf(requirements: Requirement[]): LabelMatcher {
  return {
    empty: requirements.length === 0,
    matches(labels) {
      const l = labels ?? {};
      return requirements.every((r) => {
        const has = Object.hasOwn(l, r.key);
        switch (r.op) {
          case "exists":
            return has;
          case "doesnotexist":
            return !has;
          case "in":
            return has && r.values.includes(l[r.key] as string);
          case "notin":
            return !has || !r.values.includes(l[r.key] as string);
        }
      });
    },
  };
}

/** Matches everything. */
export const EVERYTHING: LabelMatcher = matcherOf([]);

/**
 * The structured selector. An undefined selector matches everything (Velero passes an empty
 * selector in that case). Throws on an unknown operator, like LabelSelectorAsSelector.
 */
export function fromLabelSelector(selector: V1LabelSelector | undefined): LabelMatcher {
  if (!selector) return EVERYTHING;
  const reqs: Requirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) reqs.push({ key, op: "in", values: [value] });
  for (const expr of selector.matchExpressions ?? []) {
    const op = expr.operator.toLowerCase();
    if (op === "in" || op === "notin") {
      if (!expr.values || expr.values.length === 0) throw new Error(`label selector: operator "${expr.operator}" for key "${expr.key}" needs values`);
      reqs.push({ key: expr.key, op, values: expr.values });
    } else if (op === "exists" || op === "doesnotexist") {
      reqs.push({ key: expr.key, op });
    } else {
      throw new Error(`label selector: "${expr.operator}" is not a valid label selector operator`);
    }
  }
  return matcherOf(reqs);
}

/** Parses the string form. Throws with the offending text on a syntax error. */
export function parseLabelSelector(text: string): LabelMatcher {
  const reqs: Requirement[] = [];
  for (const part of splitTopLevel(text)) {
    const s = part.trim();
    if (s === "") continue;
    reqs.push(parseRequirement(s));
  }
  return matcherOf(reqs);
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const c of text) {
    if (c === "(") depth++;
    if (c === ")") depth--;
    if (c === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else current += c;
  }
  parts.push(current);
  return parts;
}

const SET_RE = /^([^\s!=()]+)\s+(in|notin)\s*\(([^)]*)\)$/;
const EQ_RE = /^([^\s!=()]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/;
const KEY_RE = /^(!?)\s*([^\s!=(),]+)$/;

function parseRequirement(s: string): Requirement {
  const set = SET_RE.exec(s);
  if (set) {
    const values = (set[3] ?? "").split(",").map((v) => v.trim()).filter((v) => v !== "");
    return { key: set[1] as string, op: set[2] as "in" | "notin", values };
  }
  const eq = EQ_RE.exec(s);
  if (eq) return { key: eq[1] as string, op: eq[2] === "!=" ? "notin" : "in", values: [eq[3] ?? ""] };
  const key = KEY_RE.exec(s);
  if (key) return { key: key[2] as string, op: key[1] === "!" ? "doesnotexist" : "exists" };
  throw new Error(`invalid label selector requirement "${s}"`);
}
