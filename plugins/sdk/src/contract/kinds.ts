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
