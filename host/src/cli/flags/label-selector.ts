/**
 * Kubernetes label selectors: parsing the string form into a metav1.LabelSelector (the shape
 * Velero stores in backups) and formatting it back the way metav1.FormatLabelSelector does.
 */
import type { V1LabelSelector, V1LabelSelectorRequirement } from "@kubernetes/client-node";
import { LABEL_KEY, LABEL_VALUE, labelSelectorError } from "../../kube/labels.js";
import { UsageError } from "../../shared/errors.js";
import { sortedByKey } from "./values.js";


function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of text) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

function checkKey(key: string, selector: string): string {
  if (!LABEL_KEY.test(key)) throw new UsageError(`invalid label selector "${selector}": "${key}" is not a valid label key`);
  return key;
}

function checkValue(value: string, selector: string): string {
  if (value.length > 63 || !LABEL_VALUE.test(value)) {
    throw new UsageError(`invalid label selector "${selector}": "${value}" is not a valid label value`);
  }
  return value;
}

type Term = { kind: "label"; key: string; value: string } | { kind: "expr"; req: V1LabelSelectorRequirement };

function parseTerm(raw: string, selector: string): Term {
  const term = raw.trim();
  if (term === "") throw new UsageError(`invalid label selector "${selector}": empty requirement (check for a stray comma)`);
  const setMatch = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (setMatch) {
    const values = (setMatch[3] as string).split(",").map((v) => checkValue(v.trim(), selector));
    return {
      kind: "expr",
      req: { key: checkKey(setMatch[1] as string, selector), operator: setMatch[2] === "in" ? "In" : "NotIn", values },
    };
  }
  const opMatch = /^([^=!<>\s]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
  if (opMatch) {
    const key = checkKey(opMatch[1] as string, selector);
    const value = checkValue((opMatch[3] as string).trim(), selector);
    // Stored as NotIn. Velero v1.18.1's create commands refuse "!=" (metav1.ParseToLabelSelector);
    // the primer velero-ts follows has `velero backup create nginx-backup --selector 'backup!=ignore'`,
    // which earlier Velero releases took so (README)
    if (opMatch[2] === "!=") return { kind: "expr", req: { key, operator: "NotIn", values: [value] } };
    return { kind: "label", key, value };
  }
  if (term.startsWith("!")) return { kind: "expr", req: { key: checkKey(term.slice(1).trim(), selector), operator: "DoesNotExist" } };
  if (/[<>]/.test(term)) {
    throw new UsageError(`invalid label selector "${selector}": the operators "<" and ">" cannot be stored in a backup selector`);
  }
  if (/\s/.test(term) || /[()]/.test(term)) {
    throw new UsageError(`invalid label selector "${selector}": cannot parse "${term}"; use key=value, key!=value, key in (a,b), key notin (a,b), key or !key`);
  }
  return { kind: "expr", req: { key: checkKey(term, selector), operator: "Exists" } };
}

/**
 * Parses "app=nginx,tier notin (db),!legacy" into a LabelSelector as metav1.ParseToLabelSelector
 * does: requirements sorted by key, each set's values sorted and without repeats, matchLabels
 * before matchExpressions ("key!=value" as "key notin (value)").
 */
export function parseLabelSelector(selector: string): V1LabelSelector {
  const matchLabels: Record<string, string> = {};
  const expressions: V1LabelSelectorRequirement[] = [];
  if (selector.trim() === "") return {};
  for (const raw of splitTopLevel(selector)) {
    const term = parseTerm(raw, selector);
    if (term.kind === "label") matchLabels[term.key] = term.value;
    else expressions.push(term.req.values ? { ...term.req, values: [...new Set(term.req.values)].sort() } : term.req);
  }
  expressions.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const result: V1LabelSelector = {};
  if (Object.keys(matchLabels).length > 0) result.matchLabels = sortedByKey(matchLabels);
  if (expressions.length > 0) result.matchExpressions = expressions;
  return result;
}

/** Parses Velero's --or-selector: selectors separated by " or " (each as a create command's -l). */
export function parseOrLabelSelectors(text: string): V1LabelSelector[] {
  return text.split(" or ").map((part) => parseLabelSelector(part));
}

function requirementString(req: V1LabelSelectorRequirement): string {
  const values = [...(req.values ?? [])].sort();
  switch (req.operator) {
    case "In":
      return `${req.key} in (${values.join(",")})`;
    case "NotIn":
      return `${req.key} notin (${values.join(",")})`;
    case "Exists":
      return req.key;
    case "DoesNotExist":
      return `!${req.key}`;
    default:
      return `${req.key} ${req.operator} (${values.join(",")})`;
  }
}

/**
 * Formats a selector like metav1.FormatLabelSelector: requirements sorted by key, "<none>" when
 * empty, "<error>" when it is not a valid selector (an unknown operator, In without values...);
 * "backup!=ignore" is stored as NotIn and prints as "backup notin (ignore)", as in Velero.
 */
export function formatLabelSelector(selector: V1LabelSelector | undefined | null): string {
  if (!selector) return "<none>";
  if (labelSelectorError(selector) !== undefined) return "<error>";
  const reqs: { key: string; text: string }[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) reqs.push({ key, text: `${key}=${value}` });
  for (const req of selector.matchExpressions ?? []) reqs.push({ key: req.key, text: requirementString(req) });
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const out = reqs.map((r) => r.text).join(",");
  return out === "" ? "<none>" : out;
}

/** Renders a selector as the query-string form the API server accepts for list calls. */
export function selectorToQuery(selector: V1LabelSelector): string {
  const out = formatLabelSelector(selector);
  return out === "<none>" ? "" : out;
}
