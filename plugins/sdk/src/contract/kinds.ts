/**
 * Plugin kinds as Velero names them (the PluginLister `kind` strings and go-plugin dispense keys).
 * `PluginLister` is deliberately absent: a plugin must never list it.
 */
export const PLUGIN_KINDS = [
  "ObjectStore",
  "VolumeSnapshotter",
  "BackupItemAction",
  "BackupItemActionV2",
  "RestoreItemAction",
  "RestoreItemActionV2",
  "DeleteItemAction",
  "ItemBlockAction",
] as const;

export type PluginKind = (typeof PLUGIN_KINDS)[number];

export function isPluginKind(value: string): value is PluginKind {
  return (PLUGIN_KINDS as readonly string[]).includes(value);
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Velero's plugin name rule: exactly `<dns-1123-subdomain>/<name>`, both parts non-empty.
 * Returns the reason the name is invalid, or undefined when it is valid.
 */
export function validatePluginName(name: string): string | undefined {
  const parts = name.split("/");
  if (parts.length !== 2) return `plugin name "${name}" must have exactly one "/" (for example "example.io/my-plugin")`;
  const [prefix, rest] = parts as [string, string];
  if (prefix === "" || rest === "") return `plugin name "${name}" has an empty part on one side of "/"`;
  if (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix)) {
    return `plugin name "${name}": "${prefix}" is not a DNS-1123 subdomain (lowercase letters, digits, "-" and ".")`;
  }
  return undefined;
}

/** Velero's sanitizeName: a provider without "/" means `velero.io/<provider>`. */
export function qualifyPluginName(name: string): string {
  return name.includes("/") ? name : `velero.io/${name}`;
}

/** The order of kinds in a Go Velero plugin's ListPlugins answer (its framework's Serve). */
export const PLUGIN_LISTING_ORDER: readonly PluginKind[] = [
  "BackupItemAction",
  "BackupItemActionV2",
  "VolumeSnapshotter",
  "ObjectStore",
  "RestoreItemAction",
  "RestoreItemActionV2",
  "DeleteItemAction",
  "ItemBlockAction",
];

/**
 * Orders plugins as Velero's Go plugin framework lists them: by kind (PLUGIN_LISTING_ORDER), then
 * by name. A Velero host runs item actions in listing order, each on the item the previous one
 * returned.
 */
export function comparePluginListing(a: { kind: PluginKind; name: string }, b: { kind: PluginKind; name: string }): number {
  return PLUGIN_LISTING_ORDER.indexOf(a.kind) - PLUGIN_LISTING_ORDER.indexOf(b.kind) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

const BIA = "BackupItemAction";
const BIA2 = "BackupItemActionV2";
const RIA = "RestoreItemAction";
const RIA2 = "RestoreItemActionV2";

/**
 * The plugins Velero v1.18's own binary serves (its `velero run-plugins`). A plugin binary that
 * registers one of these again stops a Velero server from starting ("another plugin is already
 * registered for this kind and name"); velero-ts leaves that binary out.
 */
export const VELERO_BUILTIN_PLUGINS: readonly { kind: PluginKind; name: string }[] = [
  ...["pv", "pod", "service-account", "crd-remap-version"].map((n) => ({ kind: BIA, name: `velero.io/${n}` }) as const),
  ...[
    "job",
    "pod",
    "pod-volume-restore",
    "init-restore-hook",
    "service",
    "service-account",
    "add-pvc-from-pod",
    "change-storage-class",
    "change-image-name",
    "role-bindings",
    "cluster-role-bindings",
    "crd-preserve-fields",
    "pvc",
    "apiservice",
    "admission-webhook-configuration",
    "secret",
    "dataupload",
  ].map((n) => ({ kind: RIA, name: `velero.io/${n}` }) as const),
  ...["dataupload-delete", "csi-volumesnapshotcontent-delete"].map((n) => ({ kind: "DeleteItemAction", name: `velero.io/${n}` }) as const),
  ...["csi-pvc-backupper", "csi-volumesnapshot-backupper", "csi-volumesnapshotcontent-backupper", "csi-volumesnapshotclass-backupper"].map(
    (n) => ({ kind: BIA2, name: `velero.io/${n}` }) as const,
  ),
  ...["csi-pvc-restorer", "csi-volumesnapshot-restorer", "csi-volumesnapshotcontent-restorer", "csi-volumesnapshotclass-restorer"].map(
    (n) => ({ kind: RIA2, name: `velero.io/${n}` }) as const,
  ),
  ...["pvc", "pod", "service-account"].map((n) => ({ kind: "ItemBlockAction", name: `velero.io/${n}` }) as const),
];

/** v1 and v2 of an action share its names (a host runs one action per name). */
const family = (kind: PluginKind): string => kind.replace(/V2$/, "");

/** The built-in Velero plugin `(kind, name)` would clash with, if any (v1 and v2 kinds count as one). */
export function veleroBuiltinClash(kind: PluginKind, name: string): { kind: PluginKind; name: string } | undefined {
  return VELERO_BUILTIN_PLUGINS.find((p) => p.name === name && family(p.kind) === family(kind));
}
