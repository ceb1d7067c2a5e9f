/**
 * Reads an extracted backup tree: `resources/<GR>/{cluster,namespaces/<ns>,<ver>[-preferredversion]/...}/<name>.json`
 * (velero-compat.md 4.3), and decodes single items.
 */
import { readFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { parseLosslessJson, type UnstructuredItem } from "@velero-ts/plugin-sdk";

export const RESOURCES_DIR = "resources";
export const CLUSTER_SCOPED_DIR = "cluster";
export const NAMESPACE_SCOPED_DIR = "namespaces";
export const PREFERRED_VERSION_SUFFIX = "-preferredversion";

export interface BackupResource {
  /** Directory name: "<resource>.<group>" or "<resource>". */
  groupResource: string;
  /** Original namespace ("" for cluster-scoped) -> item names (file names without ".json"). */
  itemsByNamespace: Map<string, string[]>;
  /** Version subdirectories, as named in the tarball (e.g. "v1-preferredversion", "v1beta1"). */
  versionDirs: string[];
}

async function listDir(dir: string): Promise<import("node:fs").Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

async function itemNames(dir: string): Promise<string[]> {
  return (await listDir(dir))
    .filter((e) => e.isFile() && e.name.endsWith(".json"))
    .map((e) => e.name.slice(0, -".json".length))
    .sort();
}

/** Parses the resource layout. Returns an empty map when the backup has no `resources/` (zero items). */
export async function parseBackupContents(root: string): Promise<Map<string, BackupResource>> {
  const out = new Map<string, BackupResource>();
  for (const grDir of await listDir(path.join(root, RESOURCES_DIR))) {
    if (!grDir.isDirectory()) continue;
    const grPath = path.join(root, RESOURCES_DIR, grDir.name);
    const resource: BackupResource = { groupResource: grDir.name, itemsByNamespace: new Map(), versionDirs: [] };
    const cluster = await itemNames(path.join(grPath, CLUSTER_SCOPED_DIR));
    if (cluster.length > 0) resource.itemsByNamespace.set("", cluster);
    for (const nsDir of await listDir(path.join(grPath, NAMESPACE_SCOPED_DIR))) {
      if (!nsDir.isDirectory()) continue;
      const items = await itemNames(path.join(grPath, NAMESPACE_SCOPED_DIR, nsDir.name));
      if (items.length > 0) resource.itemsByNamespace.set(nsDir.name, items);
    }
    for (const sub of await listDir(grPath)) {
      if (sub.isDirectory() && sub.name !== CLUSTER_SCOPED_DIR && sub.name !== NAMESPACE_SCOPED_DIR) resource.versionDirs.push(sub.name);
    }
    resource.versionDirs.sort();
    out.set(grDir.name, resource);
  }
  return out;
}

/** A tar entry under a resource's version directory (`resources/<gr>/<versionDir>/...`), not its plain `cluster/` or `namespaces/` tree. */
export function isVersionDirectoryEntry(name: string): boolean {
  return VERSION_DIRECTORY_ENTRY.test(name);
}
const VERSION_DIRECTORY_ENTRY = /^(?:\.\/)?resources\/[^/]+\/(?!cluster\/|namespaces\/)[^/]+\//;

/** Path of an item: `resources/<gr>[/<versionDir>]/<cluster|namespaces/<ns>>/<name>.json`. */
export function itemFilePath(root: string, groupResourceDir: string, namespace: string, name: string): string {
  const scope = namespace === "" ? [CLUSTER_SCOPED_DIR] : [NAMESPACE_SCOPED_DIR, namespace];
  return path.join(root, RESOURCES_DIR, groupResourceDir, ...scope, `${name}.json`);
}

/** A backed-up item that cannot be decoded: only that item fails. */
export class ItemDecodeError extends Error {
  constructor(readonly relativePath: string, reason: string) {
    super(`error decoding "${relativePath}": ${reason}`);
    this.name = "ItemDecodeError";
  }
}

/** Reads and validates one item (must be a JSON object with apiVersion, kind and metadata.name). */
export async function readItem(root: string, file: string): Promise<UnstructuredItem> {
  const rel = path.relative(root, file);
  let text: string;
  try {
    // One synchronous read of a file the extraction just wrote (in the page cache): ~5 µs of CPU
    // for an item of a few KiB where fs/promises' readFile takes four thread-pool round trips
    // (~50 µs). The JSON.parse below blocks for longer than the read, whatever the item's size.
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ItemDecodeError(rel, (err as Error).message);
  }
  let value: unknown;
  try {
    // Integers beyond 2^53 stay exact (bigint), as Go's int64 keeps them.
    value = parseLosslessJson(text);
  } catch (err) {
    throw new ItemDecodeError(rel, `invalid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new ItemDecodeError(rel, "not a JSON object");
  const obj = value as Record<string, unknown>;
  if (typeof obj.apiVersion !== "string" || obj.apiVersion === "") throw new ItemDecodeError(rel, "Object 'apiVersion' is missing");
  if (typeof obj.kind !== "string" || obj.kind === "") throw new ItemDecodeError(rel, "Object 'Kind' is missing");
  const meta = obj.metadata as Record<string, unknown> | undefined;
  if (typeof meta !== "object" || meta === null || typeof meta.name !== "string" || meta.name === "") {
    throw new ItemDecodeError(rel, "Object 'metadata.name' is missing");
  }
  return obj as UnstructuredItem;
}

/** Reads `metadata/version` ("1.1.0"), or undefined when absent. */
export async function readFormatVersion(root: string): Promise<string | undefined> {
  try {
    return (await readFile(path.join(root, "metadata", "version"), "utf8")).trim();
  } catch {
    return undefined;
  }
}
