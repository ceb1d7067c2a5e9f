/**
 * Writes Velero-format backup tarballs for tests (velero-compat.md 4.3): `metadata/version`, each
 * item at `resources/<gr>/<scope>/<name>.json` plus the `<ver>-preferredversion` copy, mode 0755,
 * regular files only. `buildRawTarGz` writes arbitrary (also hostile) entries.
 */
import { marshalGo } from "../../persistence/go-json.js";
import { gzipSync } from "node:zlib";
import { pack as tarPack } from "tar-stream";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import { groupResourceString, parseApiVersion } from "../../kube/gvr.js";

const IRREGULAR_PLURALS: Record<string, string> = {
  Endpoints: "endpoints",
  Ingress: "ingresses",
  NetworkPolicy: "networkpolicies",
  PodSecurityPolicy: "podsecuritypolicies",
  PriorityClass: "priorityclasses",
  StorageClass: "storageclasses",
  IngressClass: "ingressclasses",
  RuntimeClass: "runtimeclasses",
  VolumeSnapshotClass: "volumesnapshotclasses",
  PodDisruptionBudget: "poddisruptionbudgets",
};

/** The plural resource of a kind (the usual Kubernetes pluralisation). */
export function pluralOf(kind: string): string {
  const irregular = IRREGULAR_PLURALS[kind];
  if (irregular) return irregular;
  const lower = kind.toLowerCase();
  if (lower.endsWith("s")) return `${lower}es`;
  if (lower.endsWith("y") && !/[aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

export interface TarItem {
  item: UnstructuredItem;
  /** Plural resource; defaults to pluralOf(kind). */
  resource?: string;
  /** Defaults to true when the item has a namespace. */
  namespaced?: boolean;
  /** Also write the `<ver>-preferredversion` copy (default true). */
  preferredVersionCopy?: boolean;
  /** Extra non-preferred versioned copies: version -> item at that version. */
  otherVersions?: Record<string, UnstructuredItem>;
}

export interface RawEntry {
  name: string;
  content?: string | Buffer;
  type?: "file" | "symlink" | "link" | "directory";
  linkname?: string;
  mode?: number;
}

async function packToBuffer(entries: readonly RawEntry[]): Promise<Buffer> {
  const pack = tarPack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of pack) chunks.push(Buffer.from(chunk as Uint8Array));
  })();
  for (const e of entries) {
    const type = e.type ?? "file";
    const mtime = new Date(0);
    if (type === "file") {
      const body = typeof e.content === "string" ? Buffer.from(e.content) : (e.content ?? Buffer.alloc(0));
      await new Promise<void>((resolve, reject) =>
        pack.entry({ name: e.name, type, mode: e.mode ?? 0o755, size: body.length, mtime }, body, (err) => (err ? reject(err) : resolve())),
      );
    } else {
      await new Promise<void>((resolve, reject) =>
        pack.entry({ name: e.name, type, mode: e.mode ?? 0o755, linkname: e.linkname ?? "", mtime }, (err) => (err ? reject(err) : resolve())),
      );
    }
  }
  pack.finalize();
  await collected;
  return Buffer.concat(chunks);
}

/** gzip(tar) of the given entries, verbatim. */
export async function buildRawTarGz(entries: readonly RawEntry[]): Promise<Buffer> {
  return gzipSync(await packToBuffer(entries));
}

function isTarItem(x: TarItem | UnstructuredItem): x is TarItem {
  return !("apiVersion" in x) && typeof (x as { item?: unknown }).item === "object";
}

function scopePath(item: UnstructuredItem, namespaced: boolean): string {
  return namespaced ? `namespaces/${item.metadata.namespace ?? ""}` : "cluster";
}

/** The tar entries Velero would write for these items. */
export function backupEntries(items: readonly (TarItem | UnstructuredItem)[], options: { formatVersion?: string } = {}): RawEntry[] {
  const entries: RawEntry[] = [{ name: "metadata/version", content: `${options.formatVersion ?? "1.1.0"}\n` }];
  for (const raw of items) {
    const t: TarItem = isTarItem(raw) ? raw : { item: raw };
    const { group, version } = parseApiVersion(t.item.apiVersion);
    const gr = groupResourceString(group, t.resource ?? pluralOf(t.item.kind));
    const namespaced = t.namespaced ?? Boolean(t.item.metadata.namespace);
    const scope = scopePath(t.item, namespaced);
    // marshalGo without sorting is JSON.stringify's output, and also takes items nested too deep for it.
    const body = marshalGo(t.item, { sortKeys: false });
    entries.push({ name: `resources/${gr}/${scope}/${t.item.metadata.name}.json`, content: body });
    if (t.preferredVersionCopy !== false) entries.push({ name: `resources/${gr}/${version}-preferredversion/${scope}/${t.item.metadata.name}.json`, content: body });
    for (const [v, other] of Object.entries(t.otherVersions ?? {})) {
      entries.push({ name: `resources/${gr}/${v}/${scope}/${t.item.metadata.name}.json`, content: JSON.stringify(other) });
    }
  }
  return entries;
}

/** A complete Velero-format backup tarball (gzip) of the items. */
export async function buildBackupTarball(items: readonly (TarItem | UnstructuredItem)[], options: { formatVersion?: string; extra?: RawEntry[] } = {}): Promise<Buffer> {
  return buildRawTarGz([...backupEntries(items, options), ...(options.extra ?? [])]);
}
