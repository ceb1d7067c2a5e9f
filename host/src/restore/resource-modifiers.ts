/**
 * Restore resource modifiers (`--resource-modifier-configmap`), Velero's format version v1:
 *
 *   version: v1
 *   resourceModifierRules:
 *   - conditions: {groupResource, resourceNameRegex?, namespaces?, labelSelector?, matches?: [{path, value}]}
 *     patches: [{operation, path, from?, value?}]        # JSON patch (RFC 6902), or
 *     mergePatches: [{patchData}]                        # JSON merge patch (RFC 7386), or
 *     strategicPatches: [{patchData}]                    # strategic merge patch (built-in kinds)
 *
 * The ConfigMap holds exactly one data entry with that YAML (or JSON). Rules apply in order; all
 * rules are matched against the item as it was before any rule ran; `namespaces` are the item's
 * original (backup) namespaces.
 */
import type { Logger } from "../shared/logging.js";
import type { V1LabelSelector } from "@kubernetes/client-node";
import jsonpatch from "fast-json-patch";
import { LineCounter, parse as parseYaml, YAMLParseError } from "../shared/yaml.js";
import { stringifyLosslessJson, type UnstructuredItem } from "@velero-ts/plugin-sdk";
import { globToRegExp, IncludesExcludes } from "./filters.js";
import { RE2JS } from "re2js";
import { fromLabelSelector, labelSelectorError } from "../kube/labels.js";
import { applyMergePatch, deepClone } from "./metadata.js";
import { applyStrategicMergePatch } from "./strategic-merge-patch.js";

export interface JsonPatchRule {
  operation: string;
  path: string;
  from?: string;
  value?: string;
}

export interface ResourceModifierConditions {
  groupResource: string;
  resourceNameRegex?: string;
  namespaces?: string[];
  labelSelector?: V1LabelSelector;
  matches?: { path: string; value?: string }[];
}

export interface ResourceModifierRule {
  conditions: ResourceModifierConditions;
  patches?: JsonPatchRule[];
  mergePatches?: { patchData: string }[];
  strategicPatches?: { patchData: string }[];
}

export interface ResourceModifiers {
  version: string;
  resourceModifierRules: ResourceModifierRule[];
}

const JSON_PATCH_OPS = new Set(["add", "remove", "replace", "test", "move", "copy"]);

type Shape = { [key: string]: Shape | "scalar" | "any" | [Shape | "scalar"] };
const RULE_SHAPE: Shape = {
  conditions: {
    groupResource: "scalar",
    resourceNameRegex: "scalar",
    namespaces: ["scalar"],
    // a metav1.LabelSelector, strictly (a `matchLabel:` typo must not become "everything")
    labelSelector: { matchLabels: "any", matchExpressions: [{ key: "scalar", operator: "scalar", values: ["scalar"] }] },
    matches: [{ path: "scalar", value: "scalar" }],
  },
  patches: [{ operation: "scalar", path: "scalar", from: "scalar", value: "scalar" }],
  mergePatches: [{ patchData: "scalar" }],
  strategicPatches: [{ patchData: "scalar" }],
};
const ROOT_SHAPE: Shape = { version: "scalar", resourceModifierRules: [RULE_SHAPE] };

/** Strict decoding, like Velero's yaml.UnmarshalStrict: unknown fields are errors. */
function checkShape(value: unknown, shape: Shape | "scalar" | "any" | [Shape | "scalar"], at: string): void {
  if (shape === "any" || value === null || value === undefined) return;
  if (shape === "scalar") {
    if (typeof value === "object") throw new Error(`${at}: expected a scalar value`);
    return;
  }
  if (Array.isArray(shape)) {
    if (!Array.isArray(value)) throw new Error(`${at}: expected a list`);
    value.forEach((v, i) => checkShape(v, shape[0], `${at}[${i}]`));
    return;
  }
  if (typeof value !== "object" || Array.isArray(value)) throw new Error(`${at}: expected an object`);
  for (const [k, v] of Object.entries(value)) {
    const sub = shape[k];
    if (sub === undefined) throw new Error(`${at === "" ? "" : at + "."}${k}: unknown field "${k}"`);
    checkShape(v, sub, at === "" ? k : `${at}.${k}`);
  }
}

function scalarToString(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === "string" ? v : stringifyLosslessJson(v);
}

/** Parses the single data entry of a resource-modifier ConfigMap. */
export function parseResourceModifiers(data: Record<string, string> | undefined, configMapRef: string): ResourceModifiers {
  const entries = Object.values(data ?? {});
  if (entries.length !== 1) throw new Error(`illegal resource modifiers ${configMapRef} configmap: it must have exactly one data entry, found ${entries.length}`);
  let raw: unknown;
  try {
    raw = parseYaml(entries[0] as string);
  } catch (err) {
    // The parser's first line (its message goes on with a picture of the line, which a status does not need).
    throw new Error(`failed to decode yaml data into resource modifiers, err: ${(err as Error).message.split("\n")[0]}`, { cause: err });
  }
  try {
    checkShape(raw, ROOT_SHAPE, "");
  } catch (err) {
    throw new Error(`failed to decode yaml data into resource modifiers, err: ${(err as Error).message}`, { cause: err });
  }
  const doc = (raw ?? {}) as Record<string, unknown>;
  const rules = ((doc.resourceModifierRules as unknown[] | undefined) ?? []).map((r) => normalizeRule(r as Record<string, unknown>));
  return { version: scalarToString(doc.version) ?? "", resourceModifierRules: rules };
}

function normalizeRule(r: Record<string, unknown>): ResourceModifierRule {
  const c = (r.conditions ?? {}) as Record<string, unknown>;
  const conditions: ResourceModifierConditions = { groupResource: scalarToString(c.groupResource) ?? "" };
  if (c.resourceNameRegex !== undefined) conditions.resourceNameRegex = scalarToString(c.resourceNameRegex);
  if (Array.isArray(c.namespaces)) conditions.namespaces = c.namespaces.map((n) => scalarToString(n) ?? "");
  if (c.labelSelector) conditions.labelSelector = c.labelSelector as V1LabelSelector;
  if (Array.isArray(c.matches)) {
    conditions.matches = (c.matches as Record<string, unknown>[]).map((m) => ({ path: scalarToString(m.path) ?? "", value: scalarToString(m.value) }));
  }
  const rule: ResourceModifierRule = { conditions };
  if (Array.isArray(r.patches)) {
    rule.patches = (r.patches as Record<string, unknown>[]).map((p) => ({
      operation: scalarToString(p.operation) ?? "",
      path: scalarToString(p.path) ?? "",
      from: scalarToString(p.from),
      value: scalarToString(p.value),
    }));
  }
  if (Array.isArray(r.mergePatches)) rule.mergePatches = (r.mergePatches as Record<string, unknown>[]).map((p) => ({ patchData: scalarToString(p.patchData) ?? "" }));
  if (Array.isArray(r.strategicPatches)) rule.strategicPatches = (r.strategicPatches as Record<string, unknown>[]).map((p) => ({ patchData: scalarToString(p.patchData) ?? "" }));
  return rule;
}

/** Velero's Validate: returns the first problem, or undefined. */
export function validateResourceModifiers(m: ResourceModifiers): string | undefined {
  if (m.version.toLowerCase() !== "v1") return `unsupported resource modifier version ${m.version}`;
  if (m.resourceModifierRules.length === 0) return "resource modifier rules cannot be empty";
  for (const rule of m.resourceModifierRules) {
    if (rule.conditions.groupResource === "") return "groupResource cannot be empty";
    const kinds = [rule.patches, rule.mergePatches, rule.strategicPatches].filter((p) => p !== undefined && p.length > 0).length;
    if (kinds >= 2) return "only one of patches, mergePatches, strategicPatches can be specified";
    for (const p of rule.patches ?? []) {
      if (p.operation === "") return "operation cannot be empty";
      if (!JSON_PATCH_OPS.has(p.operation.toLowerCase())) return `unsupported operation ${p.operation}`;
      if (p.path === "") return "path cannot be empty";
    }
    if (rule.conditions.resourceNameRegex) {
      try {
        goRegexp(rule.conditions.resourceNameRegex);
      } catch (err) {
        return `invalid resourceNameRegex "${rule.conditions.resourceNameRegex}": ${(err as Error).message}`;
      }
    }
  }
  return undefined;
}

const compiledRegexps = new Map<string, RE2JS>();

/** A pattern compiled with RE2's syntax, as Go's regexp package (cached). */
function goRegexp(pattern: string): RE2JS {
  let re = compiledRegexps.get(pattern);
  if (!re) {
    re = RE2JS.compile(pattern);
    compiledRegexps.set(pattern, re);
  }
  return re;
}

/** Velero's value convention: the string is JSON unless it is plain text (quotes force a string). */
export function patchValue(text: string | undefined): unknown {
  if (text === undefined || text === "") return "";
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) return text.slice(1, -1);
  if (text === "null") return null;
  const lower = text.toLowerCase();
  if (lower === "true" || lower === "false") return lower === "true";
  if (text.startsWith("{") || text.startsWith("[")) return JSON.parse(text) as unknown;
  // a number as Go's strconv.ParseFloat reads one: decimal only (JavaScript's Number() also takes
  // "0x10", "0b1", "0o17" and " 5", which Velero keeps as strings)
  if (GO_DECIMAL_FLOAT.test(text)) return Number(text);
  return text;
}

const GO_DECIMAL_FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function toOperations(patches: JsonPatchRule[]): jsonpatch.Operation[] {
  return patches.map((p) => {
    const op = p.operation.toLowerCase();
    if (op === "move" || op === "copy") return { op, from: p.from ?? "", path: p.path } as jsonpatch.Operation;
    if (op === "remove") return { op, path: p.path } as jsonpatch.Operation;
    return { op, path: p.path, value: patchValue(p.value) } as jsonpatch.Operation;
  });
}

function isTestFailure(err: unknown): boolean {
  const name = (err as { name?: unknown }).name;
  return name === "TEST_OPERATION_FAILED" || name === "OPERATION_PATH_UNRESOLVABLE";
}

function matchesConditions(rule: ResourceModifierRule, item: UnstructuredItem, groupResource: string): boolean {
  const c = rule.conditions;
  const ns = item.metadata.namespace ?? "";
  if (ns !== "" && !new IncludesExcludes(c.namespaces ?? []).shouldInclude(ns)) return false;
  if (!globToRegExp(c.groupResource, ".").test(groupResource)) return false;
  // Go's regexp (RE2) syntax and semantics, as Velero's regexp.MatchString: (?i), (?P<name>...),
  // [[:alpha:]], \z mean what they mean in Go (JavaScript rejects or reads them otherwise)
  if (c.resourceNameRegex && !goRegexp(c.resourceNameRegex).matcher(item.metadata.name).find()) return false;
  if (c.labelSelector) {
    const problem = labelSelectorError(c.labelSelector);
    if (problem) throw new Error(`error in creating label selector ${problem}`);
    if (!fromLabelSelector(c.labelSelector).matches(item.metadata.labels)) return false;
  }
  if (c.matches && c.matches.length > 0) {
    const ops = c.matches.map((m) => ({ op: "test", path: m.path, value: patchValue(m.value) }) as jsonpatch.Operation);
    try {
      jsonpatch.applyPatch(deepClone(item), ops, true, false);
    } catch (err) {
      if (isTestFailure(err)) return false;
      throw err;
    }
  }
  return true;
}

/**
 * patchData as Velero reads it (sigs.k8s.io/yaml over go-yaml v2): YAML 1.1 scalars, so 0644 is
 * the octal 420 a file mode needs and yes/on/off are booleans; no base-60 numbers or timestamps,
 * which go-yaml v2 does not resolve either.
 */
const PATCH_DATA_YAML = {
  version: "1.1" as const,
  customTags: (tags: { format?: string; tag?: string }[]) => tags.filter((t) => t.format !== "TIME" && t.tag !== "tag:yaml.org,2002:timestamp"),
};

function parsePatchData(data: string): Record<string, unknown> {
  const lines = new LineCounter();
  let v: unknown;
  try {
    v = parseYaml(data, { ...PATCH_DATA_YAML, lineCounter: lines, prettyErrors: false } as never) as unknown;
  } catch (error) {
    // one line, as Go's "yaml: line N: reason" (the parser's message draws the source around it)
    if (error instanceof YAMLParseError) throw new Error(`patchData: yaml: line ${lines.linePos(error.pos[0]).line}: ${error.message.split("\n")[0]}`, { cause: error });
    throw error;
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("patchData must be a JSON or YAML object");
  return v as Record<string, unknown>;
}

function applyRule(rule: ResourceModifierRule, item: UnstructuredItem): UnstructuredItem {
  if (rule.patches && rule.patches.length > 0) {
    try {
      return jsonpatch.applyPatch(deepClone(item), toOperations(rule.patches), true, false).newDocument;
    } catch (err) {
      if ((err as { name?: unknown }).name === "TEST_OPERATION_FAILED") return item;
      throw new Error(`error in applying JSON Patch ${(err as Error).message.split("\n")[0]}`, { cause: err });
    }
  }
  if (rule.mergePatches && rule.mergePatches.length > 0) {
    let out: unknown = item;
    for (const p of rule.mergePatches) out = applyMergePatch(out, parsePatchData(p.patchData));
    return out as UnstructuredItem;
  }
  if (rule.strategicPatches && rule.strategicPatches.length > 0) {
    let out: Record<string, unknown> = item;
    for (const p of rule.strategicPatches) out = applyStrategicMergePatch(out, parsePatchData(p.patchData));
    return out as UnstructuredItem;
  }
  throw new Error("no patch data found");
}

/**
 * Applies every matching rule. Returns the modified item and one error per failed rule (the item
 * keeps the changes of the rules that succeeded, like Velero).
 */
export function applyResourceModifiers(
  modifiers: ResourceModifiers,
  item: UnstructuredItem,
  groupResource: string,
  log?: Pick<Logger, "info">,
): { item: UnstructuredItem; errors: string[] } {
  const errors: string[] = [];
  const origin = deepClone(item);
  let current = item;
  for (const rule of modifiers.resourceModifierRules) {
    let matched: boolean;
    try {
      matched = matchesConditions(rule, origin, groupResource);
    } catch (err) {
      errors.push((err as Error).message);
      continue;
    }
    if (!matched) continue;
    // Velero's line before each rule it applies: how a failing patch's object is found in the log
    log?.info(`Applying resource modifier patch on ${origin.metadata.namespace ?? ""}/${origin.metadata.name}`);
    try {
      current = applyRule(rule, current);
    } catch (err) {
      errors.push(`error in applying patch ${(err as Error).message}`);
    }
  }
  return { item: current, errors };
}
