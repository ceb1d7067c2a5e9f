/**
 * Backup resource policies (Velero internal/resourcepolicies, format version v1). A Backup's
 * `spec.resourcePolicy: {kind: configmap, name}` names a ConfigMap in the Backup's namespace whose
 * only data entry is YAML:
 *
 *   version: v1
 *   volumePolicies:                       # the first policy whose conditions all match wins
 *   - conditions: {capacity: "10,100Gi", storageClass: [gp2], nfs: {server, path}, csi: {driver, volumeAttributes},
 *                  volumeTypes: [emptyDir, nfs, csi, ...], pvcLabels: {k: v}, pvcPhase: [Bound, ...]}
 *     action: {type: skip | snapshot | fs-backup | custom, parameters: {...}}
 *   includeExcludePolicy:                 # merged into the backup's scoped resource filters
 *     includedClusterScopedResources / excludedClusterScopedResources /
 *     includedNamespaceScopedResources / excludedNamespaceScopedResources: [...]
 *
 * Decoding is strict like Velero's (unknown fields are errors). Messages keep Velero's wording so
 * they can be searched for, and name the ConfigMap.
 */
import type { Document, Pair, ParsedNode, YAMLMap } from "yaml";
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments } from "../shared/yaml.js";
import { getErrorMessage, type Backup, type UnstructuredItem } from "@velero-ts/plugin-sdk";
import type { KubeClient } from "../kube/client.js";
import { GVR } from "../kube/gvr.js";
import { compareQuantities, isZeroQuantity, parseQuantity, ZERO_QUANTITY, type Quantity } from "../shared/quantity.js";

const RESOURCE_POLICIES_VERSION = "v1";
/** The only kind of spec.resourcePolicy Velero reads (compared case-insensitively). */
const RESOURCE_POLICY_REF_KIND = "configmap";
/** `custom` (Velero 1.18) marks volumes an external plugin handles: no snapshot, no fs-backup here. */
const VOLUME_ACTION_TYPES: readonly string[] = ["skip", "snapshot", "fs-backup", "custom"];

export interface VolumeAction {
  /** skip, snapshot, fs-backup or custom once validated. */
  type: string;
  parameters?: Record<string, unknown>;
}

export interface VolumeConditions {
  /** "lower,upper"; an empty side is 0 (no bound). */
  capacity?: string;
  storageClass?: string[];
  nfs?: { server?: string; path?: string };
  csi?: { driver?: string; volumeAttributes?: Record<string, string> };
  volumeTypes?: string[];
  pvcLabels?: Record<string, string>;
  pvcPhase?: string[];
}

export interface VolumePolicy {
  conditions: VolumeConditions;
  action: VolumeAction;
}

export interface IncludeExcludePolicy {
  includedClusterScopedResources: string[];
  excludedClusterScopedResources: string[];
  includedNamespaceScopedResources: string[];
  excludedNamespaceScopedResources: string[];
}

/** What a volume is matched on: a PV (with its PVC), a pod volume (with its PVC), or an unbound PVC alone. */
export interface VolumeFilterData {
  pv?: UnstructuredItem;
  /** An entry of a pod's spec.volumes. */
  podVolume?: PodVolume;
  pvc?: UnstructuredItem;
}

export interface PodVolume {
  name: string;
  [source: string]: unknown;
}

// ---- decoding -------------------------------------------------------------------------------

type Node = ParsedNode | null;

/** A yaml.v3-style strict decoder over the parsed document: collects "line N: ..." problems. */
class StrictDecoder {
  readonly problems: string[] = [];
  readonly #doc: Document.Parsed;
  readonly #lines: LineCounter;

  constructor(doc: Document.Parsed, lines: LineCounter) {
    this.#doc = doc;
    this.#lines = lines;
  }

  resolve(node: unknown): Node {
    if (isAlias(node)) return (node.resolve(this.#doc) as ParsedNode | undefined) ?? null;
    return (node as ParsedNode | null | undefined) ?? null;
  }

  isNull(node: Node): boolean {
    return node === null || (isScalar(node) && node.value === null);
  }

  #problem(node: Node, what: string): void {
    const line = node?.range ? this.#lines.linePos(node.range[0]).line : 1;
    this.problems.push(`line ${line}: ${what}`);
  }

  #cannot(node: Node, into: string): void {
    if (isScalar(node)) this.#problem(node, `cannot unmarshal ${tagOf(node)} \`${scalarText(node)}\` into ${into}`);
    else this.#problem(node, `cannot unmarshal ${tagOf(node)} into ${into}`);
  }

  string(raw: unknown): string {
    const node = this.resolve(raw);
    if (this.isNull(node)) return "";
    if (!isScalar(node)) {
      this.#cannot(node, "string");
      return "";
    }
    return scalarText(node);
  }

  strings(raw: unknown): string[] | undefined {
    const node = this.resolve(raw);
    if (this.isNull(node)) return undefined;
    if (!isSeq(node)) {
      this.#cannot(node, "[]string");
      return undefined;
    }
    return node.items.map((i) => this.string(i));
  }

  stringMap(raw: unknown): Record<string, string> | undefined {
    const node = this.resolve(raw);
    if (this.isNull(node)) return undefined;
    if (!isMap(node)) {
      this.#cannot(node, "map[string]string");
      return undefined;
    }
    const out: Record<string, string> = {};
    for (const pair of this.#pairs(node)) out[this.string(pair.key)] = this.string(pair.value);
    return out;
  }

  /**
   * A mapping's pairs with YAML merge keys (`<<: *anchor`, `<<: [*a, *b]`) expanded, as yaml.v3
   * (Velero's decoder) does: the merged mappings' pairs first (an earlier one wins over a later
   * one), the mapping's own keys over all of them.
   */
  #pairs(node: YAMLMap.Parsed): Pair<ParsedNode, ParsedNode | null>[] {
    const own = node.items.filter((p) => !this.#isMergeKey(p.key));
    if (own.length === node.items.length) return node.items;
    const merged = new Map<string, Pair<ParsedNode, ParsedNode | null>>();
    for (const pair of node.items) {
      if (!this.#isMergeKey(pair.key)) continue;
      const source = this.resolve(pair.value);
      const sources = isSeq(source) ? source.items.map((i) => this.resolve(i)) : [source];
      for (const s of sources) {
        if (!isMap(s)) {
          this.#problem(s, "map merge requires map or sequence of maps as the value");
          continue;
        }
        for (const p of this.#pairs(s)) {
          const key = this.string(p.key);
          if (!merged.has(key)) merged.set(key, p);
        }
      }
    }
    for (const p of own) merged.set(this.string(p.key), p);
    return [...merged.values()];
  }

  #isMergeKey(key: unknown): boolean {
    // (parsed with `merge: true`, the yaml package gives a plain `<<` key a symbol value)
    return isScalar(key) && (key.value === "<<" || (typeof key.value === "symbol" && key.source === "<<")) && (key.type === "PLAIN" || key.type === undefined);
  }

  /** A mapping decoded field by field; unknown keys are problems. Returns false for null (Go: nil). */
  struct(raw: unknown, type: string, fields: Record<string, (value: unknown) => void>): boolean {
    const node = this.resolve(raw);
    if (this.isNull(node)) return false;
    if (!isMap(node)) {
      this.#cannot(node, type);
      return false;
    }
    for (const pair of this.#pairs(node)) {
      const key = this.string(pair.key);
      const decode = Object.hasOwn(fields, key) ? fields[key] : undefined;
      if (decode) decode(pair.value);
      else this.#problem(this.resolve(pair.key), `field ${key} not found in type ${type}`);
    }
    return true;
  }

  /** A list decoded item by item. */
  list<T>(raw: unknown, type: string, item: (value: unknown) => T): T[] {
    const node = this.resolve(raw);
    if (this.isNull(node)) return [];
    if (!isSeq(node)) {
      this.#cannot(node, type);
      return [];
    }
    return node.items.map((i) => item(i));
  }

  /** Any YAML value as plain data (Go: map[string]any). */
  plain(raw: unknown): unknown {
    const node = this.resolve(raw);
    return node === null ? null : (node.toJS(this.#doc) as unknown);
  }

  throwIfProblems(prefix: string): void {
    if (this.problems.length > 0) throw new Error(`${prefix}yaml: unmarshal errors:\n  ${this.problems.join("\n  ")}`);
  }
}

function scalarText(node: ParsedNode): string {
  const value = (node as { value: unknown }).value;
  if (typeof value === "string") return value;
  return (node as { source?: string }).source ?? String(value);
}

function tagOf(node: Node): string {
  if (isMap(node)) return "!!map";
  if (isSeq(node)) return "!!seq";
  const value = (node as { value?: unknown } | null)?.value;
  if (value === null || value === undefined) return "!!null";
  if (typeof value === "boolean") return "!!bool";
  if (typeof value === "number" || typeof value === "bigint") return Number.isInteger(value) || typeof value === "bigint" ? "!!int" : "!!float";
  return "!!str";
}

/** Go's %T of a value decoded into `any`, for Velero's pvcLabels message. */
function goTypeOf(value: unknown): string {
  if (value === null || value === undefined) return "<nil>";
  if (Array.isArray(value)) return "[]interface {}";
  if (typeof value === "object") return "map[string]interface {}";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float64";
  if (typeof value === "boolean") return "bool";
  return "string";
}

interface RawPolicy {
  /** The `conditions` mapping, decoded later (Velero decodes it in two steps). */
  conditions: unknown;
  conditionsPlain: Record<string, unknown>;
  action: VolumeAction;
}

interface RawPolicies {
  version: string;
  volumePolicies: RawPolicy[];
  includeExcludePolicy?: IncludeExcludePolicy;
}

function decodeIncludeExclude(d: StrictDecoder, raw: unknown): IncludeExcludePolicy | undefined {
  const p: IncludeExcludePolicy = {
    includedClusterScopedResources: [],
    excludedClusterScopedResources: [],
    includedNamespaceScopedResources: [],
    excludedNamespaceScopedResources: [],
  };
  const field = (key: keyof IncludeExcludePolicy) => (v: unknown) => {
    p[key] = d.strings(v) ?? [];
  };
  const present = d.struct(raw, "resourcepolicies.IncludeExcludePolicy", {
    includedClusterScopedResources: field("includedClusterScopedResources"),
    excludedClusterScopedResources: field("excludedClusterScopedResources"),
    includedNamespaceScopedResources: field("includedNamespaceScopedResources"),
    excludedNamespaceScopedResources: field("excludedNamespaceScopedResources"),
  });
  return present ? p : undefined;
}

function decodePolicy(d: StrictDecoder, raw: unknown): RawPolicy {
  const policy: RawPolicy = { conditions: null, conditionsPlain: {}, action: { type: "" } };
  d.struct(raw, "resourcepolicies.VolumePolicy", {
    conditions: (v) => {
      const node = d.resolve(v);
      if (d.isNull(node)) return;
      if (!isMap(node)) {
        d.struct(node, "map[string]interface {}", {});
        return;
      }
      policy.conditions = node;
      policy.conditionsPlain = d.plain(node) as Record<string, unknown>;
    },
    action: (v) => {
      d.struct(v, "resourcepolicies.Action", {
        type: (t) => (policy.action.type = d.string(t)),
        parameters: (p) => {
          const value = d.plain(p);
          if (value === null) return;
          if (typeof value !== "object" || Array.isArray(value)) d.struct(p, "map[string]interface {}", {});
          else policy.action.parameters = value as Record<string, unknown>;
        },
      });
    },
  });
  return policy;
}

/** Velero's unmarshalResourcePolicies: strict decode, then the pvcLabels shape check. */
function decodeResourcePolicies(text: string): { raw: RawPolicies; d: StrictDecoder } {
  const prefix = "failed to decode yaml data into resource policies  ";
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, merge: true });
  const doc = Array.isArray(docs) ? docs[0] : undefined;
  if (!doc) throw new Error(`${prefix}EOF`);
  const syntax = doc.errors[0];
  if (syntax) throw new Error(`${prefix}yaml: line ${lines.linePos(syntax.pos[0]).line}: ${syntax.message}`);
  const d = new StrictDecoder(doc, lines);
  const raw: RawPolicies = { version: "", volumePolicies: [] };
  d.struct(doc.contents, "resourcepolicies.ResourcePolicies", {
    version: (v) => (raw.version = d.string(v)),
    volumePolicies: (v) => (raw.volumePolicies = d.list(v, "[]resourcepolicies.VolumePolicy", (p) => decodePolicy(d, p))),
    includeExcludePolicy: (v) => setIf(raw, "includeExcludePolicy", decodeIncludeExclude(d, v)),
  });
  d.throwIfProblems(prefix);
  for (const p of raw.volumePolicies) {
    if (!Object.hasOwn(p.conditionsPlain, "pvcLabels")) continue;
    const labels = p.conditionsPlain["pvcLabels"];
    if (labels === null || typeof labels !== "object" || Array.isArray(labels)) {
      throw new Error(`pvcLabels must be a map of string to string, got ${goTypeOf(labels)}`);
    }
  }
  return { raw, d };
}

/** Velero's unmarshalVolConditions: the conditions mapping decoded strictly into its known fields. */
function decodeConditions(d: StrictDecoder, raw: RawPolicy): VolumeConditions {
  const c: VolumeConditions = {};
  d.struct(raw.conditions, "resourcepolicies.volumeConditions", {
    capacity: (v) => (c.capacity = d.string(v)),
    storageClass: (v) => setIf(c, "storageClass", d.strings(v)),
    nfs: (v) => {
      const nfs: { server?: string; path?: string } = {};
      const present = d.struct(v, "resourcepolicies.nFSVolumeSource", {
        server: (s) => (nfs.server = d.string(s)),
        path: (p) => (nfs.path = d.string(p)),
      });
      setIf(c, "nfs", present ? nfs : undefined);
    },
    csi: (v) => {
      const csi: { driver?: string; volumeAttributes?: Record<string, string> } = {};
      const present = d.struct(v, "resourcepolicies.csiVolumeSource", {
        driver: (s) => (csi.driver = d.string(s)),
        volumeAttributes: (a) => setIf(csi, "volumeAttributes", d.stringMap(a)),
      });
      setIf(c, "csi", present ? csi : undefined);
    },
    volumeTypes: (v) => setIf(c, "volumeTypes", d.strings(v)),
    pvcLabels: (v) => setIf(c, "pvcLabels", d.stringMap(v)),
    pvcPhase: (v) => setIf(c, "pvcPhase", d.strings(v)),
  });
  d.throwIfProblems("failed to decode volume conditions: ");
  return c;
}

function setIf<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value === undefined) delete target[key];
  else target[key] = value;
}

// ---- capacity -------------------------------------------------------------------------------

interface CapacityRange {
  lower: Quantity;
  upper: Quantity;
}

/** "lower,upper" with either side empty (0); "" means "," (any size). */
function parseCapacity(text: string | undefined): CapacityRange {
  const value = text || ",";
  const parts = value.split(",");
  if (parts.length !== 2) throw new Error(`wrong format of Capacity ${value}`);
  const [lower, upper] = parts.map((part) => {
    if (part.trim() === "") return ZERO_QUANTITY;
    try {
      return parseQuantity(part.trim());
    } catch (err) {
      throw new Error(`wrong format of Capacity ${part} with err ${getErrorMessage(err)}`, { cause: err });
    }
  }) as [Quantity, Quantity];
  return { lower, upper };
}

/** Velero's isInRange: [0,a] → ≤ a; [b,0] → ≥ b; [a,b] → within. */
function capacityInRange(range: CapacityRange, size: Quantity): boolean {
  if (isZeroQuantity(range.lower) && compareQuantities(range.upper, size) >= 0) return true;
  if (isZeroQuantity(range.upper) && compareQuantities(range.lower, size) <= 0) return true;
  if (!isZeroQuantity(range.lower) && !isZeroQuantity(range.upper)) {
    return compareQuantities(range.lower, size) <= 0 && compareQuantities(range.upper, size) >= 0;
  }
  return false;
}

// ---- matching -------------------------------------------------------------------------------

/** What the conditions look at, taken from the PV or pod volume and the PVC. */
interface StructuredVolume {
  capacity: Quantity;
  storageClass: string;
  nfs?: { server: string; path: string };
  csi?: { driver: string; volumeAttributes: Record<string, string> };
  volumeType: string;
  pvcLabels?: Record<string, string>;
  pvcPhase: string;
}

/** PV source fields, in Velero's order of precedence. */
const PV_VOLUME_TYPES = [
  "awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "csi", "fc", "flocker", "flexVolume",
  "gcePersistentDisk", "glusterfs", "hostPath", "iscsi", "local", "nfs", "photonPersistentDisk",
  "portworxVolume", "quobyte", "rbd", "scaleIO", "storageos", "vsphereVolume",
];

/** Pod volume source fields, in Velero's order of precedence. */
const POD_VOLUME_TYPES = [
  "awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "csi", "fc", "flocker", "flexVolume",
  "gcePersistentDisk", "gitRepo", "glusterfs", "iscsi", "nfs", "secret", "rbd", "downwardAPI", "configMap",
  "projected", "ephemeral", "photonPersistentDisk", "portworxVolume", "quobyte", "scaleIO", "storageos",
  "vsphereVolume", "hostPath", "emptyDir",
];

/** Velero's volume type name for a source field: the field name, except for storageos. */
const volumeTypeName = (field: string): string => (field === "storageos" ? "storageOS" : field);

type Source = Record<string, unknown>;

const has = (o: Source, field: string): boolean => o[field] !== undefined && o[field] !== null;

function volumeTypeOf(source: Source, fields: string[]): string {
  const field = fields.find((f) => has(source, f));
  return field === undefined ? "" : volumeTypeName(field);
}

function sourcesOf(source: Source, into: StructuredVolume): void {
  const nfs = source["nfs"] as { server?: string; path?: string } | null | undefined;
  if (nfs) into.nfs = { server: nfs.server ?? "", path: nfs.path ?? "" };
  const csi = source["csi"] as { driver?: string; volumeAttributes?: Record<string, string> } | null | undefined;
  if (csi) into.csi = { driver: csi.driver ?? "", volumeAttributes: csi.volumeAttributes ?? {} };
}

function structure(data: VolumeFilterData): StructuredVolume | undefined {
  const v: StructuredVolume = { capacity: ZERO_QUANTITY, storageClass: "", volumeType: "", pvcPhase: "" };
  if (data.pv) {
    const spec = (data.pv["spec"] ?? {}) as Source & { capacity?: { storage?: string }; storageClassName?: string };
    try {
      v.capacity = spec.capacity?.storage ? parseQuantity(spec.capacity.storage) : ZERO_QUANTITY;
    } catch {
      v.capacity = ZERO_QUANTITY;
    }
    v.storageClass = spec.storageClassName ?? "";
    sourcesOf(spec, v);
    v.volumeType = volumeTypeOf(spec, PV_VOLUME_TYPES);
  } else if (data.podVolume) {
    sourcesOf(data.podVolume, v);
    v.volumeType = volumeTypeOf(data.podVolume, POD_VOLUME_TYPES);
  } else if (!data.pvc) {
    return undefined;
  }
  if (data.pvc) {
    const labels = data.pvc.metadata.labels;
    if (labels && Object.keys(labels).length > 0) v.pvcLabels = labels;
    v.pvcPhase = (data.pvc["status"] as { phase?: string } | undefined)?.phase ?? "";
  }
  return v;
}

function nfsMatches(want: VolumeConditions["nfs"], v: StructuredVolume): boolean {
  if (!want) return true;
  if (!v.nfs) return false;
  if (want.path && want.path !== v.nfs.path) return false;
  return !want.server || want.server === v.nfs.server;
}

function csiMatches(want: VolumeConditions["csi"], v: StructuredVolume): boolean {
  if (!want) return true;
  if (!want.driver) return v.csi !== undefined;
  if (!v.csi || want.driver !== v.csi.driver) return false;
  const attributes = Object.entries(want.volumeAttributes ?? {});
  if (attributes.length === 0) return true;
  const got = v.csi.volumeAttributes;
  if (Object.keys(got).length === 0) return false;
  return attributes.every(([k, value]) => (got[k] ?? "") === value);
}

function listMatches(want: string[] | undefined, got: string, emptyGotFails: boolean): boolean {
  if (!want || want.length === 0) return true;
  if (emptyGotFails && got === "") return false;
  return want.includes(got);
}

function labelsMatch(want: Record<string, string> | undefined, got: Record<string, string> | undefined): boolean {
  const entries = Object.entries(want ?? {});
  if (entries.length === 0) return true;
  if (!got) return false;
  return entries.every(([k, value]) => Object.hasOwn(got, k) && got[k] === value);
}

interface CompiledPolicy extends VolumePolicy {
  capacity: CapacityRange;
}

function policyMatches(p: CompiledPolicy, v: StructuredVolume): boolean {
  const c = p.conditions;
  return (
    capacityInRange(p.capacity, v.capacity) &&
    listMatches(c.storageClass, v.storageClass, true) &&
    nfsMatches(c.nfs, v) &&
    csiMatches(c.csi, v) &&
    listMatches(c.volumeTypes, v.volumeType, false) &&
    labelsMatch(c.pvcLabels, v.pvcLabels) &&
    listMatches(c.pvcPhase, v.pvcPhase, true)
  );
}

// ---- the policies ---------------------------------------------------------------------------

export class ResourcePolicies {
  readonly version: string;
  readonly volumePolicies: readonly VolumePolicy[];
  readonly includeExcludePolicy: IncludeExcludePolicy | undefined;
  readonly #compiled: CompiledPolicy[];

  private constructor(version: string, compiled: CompiledPolicy[], includeExclude: IncludeExcludePolicy | undefined) {
    this.version = version;
    this.#compiled = compiled;
    this.volumePolicies = compiled.map(({ conditions, action }) => ({ conditions, action }));
    this.includeExcludePolicy = includeExclude;
  }

  /**
   * Decodes the YAML and builds the policies (Velero's unmarshal + BuildPolicy); throws with
   * Velero's message when the YAML is malformed, has unknown fields or a bad capacity. Semantic
   * problems are reported by validate().
   */
  static parse(text: string): ResourcePolicies {
    const { raw, d } = decodeResourcePolicies(text);
    const compiled = raw.volumePolicies.map((p): CompiledPolicy => {
      const conditions = decodeConditions(d, p);
      return { conditions, action: p.action, capacity: parseCapacity(conditions.capacity) };
    });
    return new ResourcePolicies(raw.version, compiled, raw.includeExcludePolicy);
  }

  /** Velero's Validate: the first problem, or undefined. */
  validate(): string | undefined {
    if (this.version !== RESOURCE_POLICIES_VERSION) {
      return `incompatible version number ${this.version} with supported version ${RESOURCE_POLICIES_VERSION}`;
    }
    for (const p of this.#compiled) {
      if (!VOLUME_ACTION_TYPES.includes(p.action.type)) return `invalid action type ${p.action.type}`;
      const { lower, upper } = p.capacity;
      if (!(compareQuantities(upper, lower) >= 0 || (!isZeroQuantity(lower) && isZeroQuantity(upper)))) {
        return `illegal values for capacity ${JSON.stringify(p.conditions.capacity ?? "")}: the lower bound is greater than the upper bound`;
      }
      if (p.conditions.csi && !p.conditions.csi.driver && p.conditions.csi.volumeAttributes !== undefined) {
        return "csi driver should not be empty when filtering by volume attributes";
      }
    }
    const ie = this.includeExcludePolicy;
    if (ie) {
      return (
        validatePolicyIncludesExcludes(ie.includedClusterScopedResources, ie.excludedClusterScopedResources) ??
        validatePolicyIncludesExcludes(ie.includedNamespaceScopedResources, ie.excludedNamespaceScopedResources)
      );
    }
    return undefined;
  }

  /** The action of the first volume policy whose conditions all match, or undefined. */
  matchAction(data: VolumeFilterData): VolumeAction | undefined {
    const volume = structure(data);
    if (!volume) return undefined;
    return this.#compiled.find((p) => policyMatches(p, volume))?.action;
  }
}

function validatePolicyIncludesExcludes(includes: string[], excludes: string[]): string | undefined {
  if (includes.includes("*") || excludes.includes("*")) return "cannot use '*' in includes or excludes filters in the policy";
  const inc = new Set(includes);
  for (const e of [...new Set(excludes)].sort()) if (inc.has(e)) return `excludes list cannot contain an item in the includes list: ${e}`;
  return undefined;
}

/** Velero's getResourcePoliciesFromConfig: exactly one data entry holding the policies. */
export function resourcePoliciesFromConfigMap(cm: UnstructuredItem): ResourcePolicies {
  const data = (cm["data"] ?? {}) as Record<string, string>;
  const values = Object.values(data);
  if (values.length !== 1) {
    throw new Error(
      `illegal resource policies ${cm.metadata.namespace ?? ""}/${cm.metadata.name} configmap: it must have exactly one data entry holding the policies, found ${values.length}`,
    );
  }
  return ResourcePolicies.parse(values[0] as string);
}

type ResourcePoliciesResult = { policies?: ResourcePolicies; error?: string };

/**
 * Velero's GetResourcePoliciesFromBackup: the policies the Backup references (none when it
 * references none), or the validation error to record. A reference to anything other than a
 * ConfigMap is an error (Velero ignores it: the backup runs without the user's policies).
 */
export async function loadBackupResourcePolicies(kube: Pick<KubeClient, "get">, backup: Backup, namespace: string): Promise<ResourcePoliciesResult> {
  const ref = backup.spec.resourcePolicy;
  if (!ref) return {};
  if (ref.kind?.toLowerCase() !== RESOURCE_POLICY_REF_KIND) {
    return { error: `resourcePolicy kind "${ref.kind ?? ""}" is not supported: resource policies are read from a ConfigMap; set spec.resourcePolicy.kind to ConfigMap` };
  }
  const where = `${namespace}/${ref.name}`;
  const fix = `fix the policies in ConfigMap ${where} (one data entry, "version: v1") and create the backup again`;
  let cm: UnstructuredItem | undefined;
  try {
    cm = await kube.get(GVR.configMaps, ref.name, namespace);
  } catch (err) {
    return { error: `fail to get ResourcePolicies ${where} ConfigMap with error ${getErrorMessage(err)}` };
  }
  if (!cm) {
    // Velero's words exactly (its cached client names the kind): the reason names the ConfigMap to create.
    return { error: `fail to get ResourcePolicies ${where} ConfigMap with error ConfigMap "${ref.name}" not found` };
  }
  let policies: ResourcePolicies;
  try {
    policies = resourcePoliciesFromConfigMap(cm);
  } catch (err) {
    return { error: `fail to read the ResourcePolicies from ConfigMap ${where} with error ${getErrorMessage(err)}\n${fix}` };
  }
  const problem = policies.validate();
  if (problem) return { error: `fail to validate ResourcePolicies in ConfigMap ${where} with error ${problem}\n${fix}` };
  return { policies };
}

// ---- fs-backup ------------------------------------------------------------------------------

/**
 * Velero's volume helper pre-check for fs-backup: volumes whose contents come from the API
 * (secret, configMap, projected, downwardAPI), hostPath volumes, service-account token volumes and,
 * when the backup's resource filters exclude PVCs, PVC volumes are never backed up through the
 * file system (the backup engine's helper; Velero's CSI plugin helper uses snapshotMoveData there).
 */
export function isFsBackupCandidate(volume: PodVolume, pvcsExcluded: boolean): boolean {
  if (["hostPath", "secret", "configMap", "projected", "downwardAPI"].some((f) => has(volume, f))) return false;
  if (has(volume, "persistentVolumeClaim") && pvcsExcluded) return false;
  return !volume.name.startsWith("default-token");
}

/** Why a pod's volumes cannot be read by a node agent now (Velero's IsPodRunning), or undefined. */
export function podNotRunningReason(pod: UnstructuredItem): string | undefined {
  const phase = (pod["status"] as { phase?: string } | undefined)?.phase ?? "";
  const where = `name=${pod.metadata.name}, namespace=${pod.metadata.namespace ?? ""}, phase=${phase}`;
  if (!(pod["spec"] as { nodeName?: string } | undefined)?.nodeName) return `pod is not scheduled, ${where}`;
  if (phase !== "Running") return `pod is not in the expected status, ${where}: pod is not running`;
  if (pod.metadata.deletionTimestamp) return `pod is being terminated, ${where}`;
  return undefined;
}
