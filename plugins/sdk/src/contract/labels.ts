/**
 * Label selectors: parse the string form ("a=b,c!=d,e in (x,y),!f,g"), convert the structured
 * metav1.LabelSelector to it (FormatLabelSelector), and match label sets. The velero-ts host uses
 * these (an action's appliesTo selector included), and so do the action conformance suites.
 */
import type { LabelSelector as MetaLabelSelector } from "../api/v1/meta.js";

type Op = "=" | "!=" | "in" | "notin" | "exists" | "!";

interface Requirement {
  key: string;
  op: Op;
  values: string[];
}

/** A parsed label selector. */
export interface LabelMatcher {
  readonly empty: boolean;
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
  toString(): string;
}

class ParsedSelector implements LabelMatcher {
  readonly #reqs: Requirement[];
  constructor(reqs: Requirement[]) {
    this.#reqs = [...reqs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
  get empty(): boolean {
    return this.#reqs.length === 0;
  }
  matches(labels: Readonly<Record<string, string>> | undefined): boolean {
    const l = labels ?? {};
    return this.#reqs.every((r) => {
      const has = Object.prototype.hasOwnProperty.call(l, r.key);
      const v = l[r.key];
      switch (r.op) {
        case "=":
          return has && v === r.values[0];
        case "!=":
          return !has || v !== r.values[0];
        case "in":
          return has && r.values.includes(v as string);
        case "notin":
          return !has || !r.values.includes(v as string);
        case "exists":
          return has;
        case "!":
          return !has;
      }
    });
  }
  toString(): string {
    return this.#reqs
      .map((r) => {
        switch (r.op) {
          case "=":
          case "!=":
            return `${r.key}${r.op}${r.values[0] ?? ""}`;
          case "in":
          case "notin":
            return `${r.key} ${r.op} (${[...r.values].sort().join(",")})`;
          case "exists":
            return r.key;
          case "!":
            return `!${r.key}`;
        }
      })
      .join(",");
  }
}

/** Matches everything. */
export const MATCH_EVERYTHING: LabelMatcher = new ParsedSelector([]);

/** Parses the string form; throws on malformed input naming the selector. */
export function parseLabelSelector(text: string): LabelMatcher {
  const reqs: Requirement[] = [];
  for (const part of splitTopLevel(text)) {
    const p = part.trim();
    if (!p) continue;
    let m: RegExpMatchArray | null;
    if ((m = p.match(/^(\S+)\s+(in|notin)\s+\((.*)\)$/))) {
      const values = (m[3] ?? "").split(",").map((v) => v.trim()).filter((v) => v !== "");
      reqs.push({ key: m[1] as string, op: m[2] as Op, values });
    } else if ((m = p.match(/^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/))) {
      reqs.push({ key: m[1] as string, op: m[2] === "!=" ? "!=" : "=", values: [m[3] ?? ""] });
    } else if ((m = p.match(/^!\s*(\S+)$/))) {
      reqs.push({ key: m[1] as string, op: "!", values: [] });
    } else if (/^[^\s=!(),]+$/.test(p)) {
      reqs.push({ key: p, op: "exists", values: [] });
    } else {
      throw new Error(`invalid label selector "${text}": cannot parse "${p}"`);
    }
  }
  return new ParsedSelector(reqs);
}

/** The structured selector as a matcher (metav1.LabelSelectorAsSelector). Undefined matches everything. */
export function fromLabelSelector(selector: MetaLabelSelector | undefined | null): LabelMatcher {
  if (!selector) return MATCH_EVERYTHING;
  const reqs: Requirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) reqs.push({ key, op: "=", values: [value] });
  for (const e of selector.matchExpressions ?? []) {
    switch (e.operator) {
      case "In":
        reqs.push({ key: e.key, op: "in", values: e.values ?? [] });
        break;
      case "NotIn":
        reqs.push({ key: e.key, op: "notin", values: e.values ?? [] });
        break;
      case "Exists":
        reqs.push({ key: e.key, op: "exists", values: [] });
        break;
      case "DoesNotExist":
        reqs.push({ key: e.key, op: "!", values: [] });
        break;
      default:
        throw new Error(`invalid label selector: operator "${e.operator}" for key "${e.key}" is not one of In, NotIn, Exists, DoesNotExist`);
    }
  }
  return new ParsedSelector(reqs);
}

/** A qualified label key ([prefix/]name) and a label value, as Kubernetes validates them. */
export const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
export const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/**
 * Why metav1.LabelSelectorAsSelector would refuse the selector (an unknown operator, values for
 * Exists/DoesNotExist, none for In/NotIn, a bad key or value), in its words; undefined when valid.
 */
export function labelSelectorError(selector: MetaLabelSelector | undefined | null): string | undefined {
  if (!selector) return undefined;
  const requirement = (key: string, values: string[]): string | undefined => {
    if (!LABEL_KEY.test(key)) return `key: Invalid value: ${JSON.stringify(key)}: name part must consist of alphanumeric characters, '-', '_' or '.'`;
    const bad = values.find((v) => !LABEL_VALUE.test(v));
    return bad === undefined ? undefined : `values[${values.indexOf(bad)}][${key}]: Invalid value: ${JSON.stringify(bad)}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.'`;
  };
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    const problem = requirement(key, [value]);
    if (problem) return problem;
  }
  for (const e of selector.matchExpressions ?? []) {
    const values = e.values ?? [];
    if (e.operator === "In" || e.operator === "NotIn") {
      if (values.length === 0) return "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty";
    } else if (e.operator === "Exists" || e.operator === "DoesNotExist") {
      if (values.length > 0) return `values: Invalid value: ${goStringSlice(values)}: values set must be empty for exists and does not exist`;
    } else {
      return `${JSON.stringify(e.operator)} is not a valid label selector operator`;
    }
    const problem = requirement(e.key, values);
    if (problem) return problem;
  }
  return undefined;
}

/** Go's %#v of a []string: []string{"a", "b"}. */
function goStringSlice(values: string[]): string {
  return `[]string{${values.map((v) => JSON.stringify(v)).join(", ")}}`;
}

/**
 * metav1.FormatLabelSelector without the "<none>" placeholder: "" means everything, and
 * "<error>" a selector LabelSelectorAsSelector refuses (Velero then sends "<error>" to the API
 * server, which fails the LIST).
 */
export function formatLabelSelector(selector: MetaLabelSelector | undefined | null): string {
  if (labelSelectorError(selector) !== undefined) return "<error>";
  return fromLabelSelector(selector).toString();
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of text) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      parts.push(cur);
      cur = "";
    } else cur += ch;
  }
  parts.push(cur);
  return parts;
}
