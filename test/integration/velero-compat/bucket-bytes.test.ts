// The bytes of a backup in the bucket, against the oracle: real Velero v1.18.1 (Go, with the Go
// velero-plugin-for-aws) and velero-ts (our AWS plugin) back up the same namespace with the same
// Backup spec into one moto bucket, and the files must be the same bytes wherever Go's output is
// deterministic:
// - every 512-byte tar header (ustar fields, prefix splits, PAX headers and their names, the end of
//   the archive), with only the mtime (the time each side wrote the entry) set to one value and the
//   checksum recomputed; the sizes too for the items that change on their own (pods, deployments).
//   Headers are compared per file, not in archive order: the order of the items is not the same
//   (Velero writes the namespace and its service account before the other items, velero-ts the
//   namespace last), which this suite does not cover;
// - the header of every gzip member of every .gz file (Go's: no mtime, XFL 0, OS 255);
// - the side files' JSON text, byte for byte once the backup's and the servers' names are unified;
// - velero-backup.json, byte for byte once the values that differ by nature (uid, times,
//   resourceVersion, the names) are replaced by placeholders, so key order and layout still count.
// The namespace holds items whose paths take every header form: short, over 100 bytes split into
// prefix and name, and too long for a split (a 253-character name: PAX).
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { CreateBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import { installCrds } from "../../../host/src/kube/crds.ts";
import { GVR } from "../../../host/src/kube/gvr.ts";
import { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { loadKubeConfig } from "../../../host/src/kube/kube-config.ts";
import type { RunningServer } from "../../../host/src/server/server.ts";
import { loadEndpoints } from "../../helpers/endpoints.ts";
import { bucketKeys, bucketObject, eventually, motoS3, type RealVeleroServer, startRealVeleroBeside, startVeleroTsBeside, suffix, waitTerminal } from "./harness.ts";

const SFX = suffix();
const BUCKET = `vt-bytes-${SFX}`;
const GO_NS = `vt-bytes-go-${SFX}`;
const TS_NS = `vt-bytes-ts-${SFX}`;
const APP = `vt-bytes-${SFX}-app`;
const PV = `vt-bytes-pv-${SFX}`;
const GO_BACKUP = `bb-go-${SFX}`;
const TS_BACKUP = `bb-ts-${SFX}`;
/** Items whose JSON (so whose size) can change between the two backups: the rest must match in full. */
const UNSTABLE = /^resources\/(pods|replicasets\.apps|deployments\.apps|events|events\.events\.k8s\.io|endpoints|endpointslices\.discovery\.k8s\.io)\//;
/** What Go's gzip.NewWriter writes first. */
const GO_GZIP_HEADER = "1f8b08000000000000ff";

let kube: HttpKubeClient;
let s3: S3Client;
let work: string;
let velero: RealVeleroServer | undefined;
let ours: RunningServer | undefined;

/** The files of a backup in the bucket, by key with the backup's name replaced by <backup>. */
async function backupFiles(name: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const key of await bucketKeys(s3, BUCKET, `backups/${name}/`)) out.set(key.replaceAll(name, "<backup>"), await bucketObject(s3, BUCKET, key));
  return out;
}

interface TarBlock {
  /** The path of the file the header is for (a PAX header's too). */
  path: string;
  header: Buffer;
}

/** The 512-byte header blocks of a tar stream, each with the path it is for, and the bytes after the last entry. */
function headerBlocks(tar: Buffer): { blocks: TarBlock[]; trailer: Buffer } {
  const blocks: TarBlock[] = [];
  let offset = 0;
  let paxPath: string | undefined;
  const pending: Buffer[] = [];
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(header.subarray(124, 136).toString("latin1").replace(/[\0 ]+$/, ""), 8);
    const data = tar.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (header[156] === 0x78) {
      paxPath = /\d+ path=(.*)\n/.exec(data.toString("utf8"))?.[1];
      pending.push(Buffer.from(header));
      continue;
    }
    const field = (from: number, length: number): string => header.subarray(from, from + length).toString("latin1").replace(/\0.*$/s, "");
    const prefix = field(345, 155);
    const path = paxPath ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    for (const p of pending.splice(0)) blocks.push({ path, header: p });
    blocks.push({ path, header: Buffer.from(header) });
    paxPath = undefined;
  }
  return { blocks, trailer: tar.subarray(offset) };
}

/** A header with its mtime (and, for items that change on their own, its size) set to one value and the checksum recomputed. */
function normalised({ path, header }: TarBlock): string {
  const h = Buffer.from(header);
  if (h[156] !== 0x78) h.write("00000000000\0", 136, "latin1");
  if (UNSTABLE.test(path)) h.write("00000000000\0", 124, "latin1");
  h.fill(0x20, 148, 156);
  const sum = h.reduce((a, b) => a + b, 0);
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "latin1");
  return h.toString("latin1");
}

/** The 10 header bytes of each gzip member of a file, the members found by gunzipping them one by one. */
function gzipMemberHeaders(gz: Buffer): string[] {
  const headers: string[] = [];
  // A member ends where the next one's magic starts; the first must start at 0.
  const starts: number[] = [];
  for (let i = gz.indexOf(Buffer.from([0x1f, 0x8b, 0x08])); i !== -1; i = gz.indexOf(Buffer.from([0x1f, 0x8b, 0x08]), i + 1)) starts.push(i);
  let at = 0;
  for (let k = 0; k < starts.length && at < gz.length; k++) {
    const start = starts[k] as number;
    if (start !== at) continue;
    // the next start at which the bytes from `at` gunzip on their own is where this member ends
    const end = [...starts.slice(k + 1), gz.length].find((e) => {
      try {
        gunzipSync(gz.subarray(at, e));
        return true;
      } catch {
        return false;
      }
    });
    if (end === undefined) break;
    headers.push(gz.subarray(at, at + 10).toString("hex"));
    at = end;
  }
  expect(at, "the gzip members cover the whole file").toBe(gz.length);
  return headers;
}

/**
 * velero-backup.json with the values that differ by nature replaced, the text otherwise kept: the
 * backup's and the servers' names, the uid, resourceVersion and generation, every time, and the
 * content of each managedFields entry's fieldsV1 (which fields each write set: the two servers
 * patch the Backup in different steps, and Velero writes the file from the finalizer's copy).
 */
function normaliseBackupJson(text: string, name: string, namespace: string): string {
  return withoutFieldsV1(text)
    .replaceAll(name, "<backup>")
    .replaceAll(namespace, "<velero-ns>")
    .replace(/"uid": "[0-9a-f-]{36}"/g, '"uid": "<uid>"')
    .replace(/"resourceVersion": "\d+"/g, '"resourceVersion": "<rv>"')
    .replace(/"generation": \d+/g, '"generation": "<generation>"')
    .replace(/"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"/g, '"<time>"');
}

/** Each `"fieldsV1": {...}` replaced by `"fieldsV1": "<fields>"` (string-aware: field keys may hold braces). */
function withoutFieldsV1(text: string): string {
  let out = "";
  let from = 0;
  for (let at = text.indexOf('"fieldsV1": {', from); at !== -1; at = text.indexOf('"fieldsV1": {', from)) {
    let i = at + '"fieldsV1": '.length;
    let depth = 0;
    do {
      const c = text[i];
      if (c === '"') {
        for (i++; text[i] !== '"'; i++) if (text[i] === "\\") i++;
      } else if (c === "{") depth++;
      else if (c === "}") depth--;
      i++;
    } while (depth > 0);
    out += text.slice(from, at) + '"fieldsV1": "<fields>"';
    from = i;
  }
  return out + text.slice(from);
}

beforeAll(async () => {
  const ep = loadEndpoints();
  work = await mkdtemp(join(tmpdir(), "vt-bytes-compat-"));
  kube = new HttpKubeClient(loadKubeConfig({ kubeconfig: ep.kubeconfig }));
  await installCrds(kube);
  s3 = motoS3(ep);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));

  const create = (gvr: { group: string; version: string; resource: string }, obj: Record<string, unknown>): Promise<UnstructuredItem> => kube.create(gvr, obj as unknown as UnstructuredItem);
  await create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: APP, labels: { suite: `bytes-${SFX}` } } });
  // resources/configmaps/namespaces/<APP>/<name>.json: short; over 100 bytes (a prefix split); a
  // 253-character name (no split fits: PAX)
  for (const name of ["short", `split-${"s".repeat(70)}`, `pax-${"p".repeat(249)}`]) {
    await create(GVR.configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { namespace: APP, name, labels: { app: "web" }, annotations: { note: "<a & b>" } }, data: { k: name.slice(0, 10), "multi.line": "one\ntwo\n" } });
  }
  await create(GVR.secrets, { apiVersion: "v1", kind: "Secret", metadata: { namespace: APP, name: "web-secret" }, data: { p: Buffer.from("s").toString("base64") } });
  // a PV bound to a claim: the volume info lists it, skipped (snapshotVolumes false)
  await create(GVR.persistentVolumes, {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: PV, labels: { suite: `bytes-${SFX}`, zone: "a" } },
    spec: { capacity: { storage: "1Mi" }, accessModes: ["ReadWriteOnce"], storageClassName: "", hostPath: { path: `/tmp/${PV}` }, claimRef: { namespace: APP, name: "data" } },
  });
  await create(GVR.persistentVolumeClaims, {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { namespace: APP, name: "data" },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Mi" } }, storageClassName: "", volumeName: PV },
  });
  await eventually("the PVC to be bound", async () => ((await kube.get(GVR.persistentVolumeClaims, "data", APP))?.["status"] as { phase?: string } | undefined)?.phase === "Bound", 90_000);

  velero = (await startRealVeleroBeside(kube, { namespace: GO_NS, bucket: BUCKET, work, location: { backupSyncPeriod: "0s" }, extraArgs: ["--store-validation-frequency=3s"] })).server;
  ours = await startVeleroTsBeside(kube, { namespace: TS_NS, bucket: BUCKET, work, credentialsFile: join(work, "velero", "aws-credentials"), backupSyncPeriod: "0s" });
  for (const ns of [GO_NS, TS_NS]) {
    await eventually(`location ${ns}/default to be Available`, async () => ((await kube.get(GVR.backupStorageLocations, "default", ns))?.["status"] as { phase?: string } | undefined)?.phase === "Available", 60_000, () => velero!.logTail());
  }
  const spec = {
    includedNamespaces: [APP],
    storageLocation: "default",
    snapshotVolumes: false,
    ttl: "24h",
    orderedResources: { configmaps: `${APP}/short` },
    csiSnapshotTimeout: "5m",
  };
  const runs = [
    { ns: GO_NS, name: GO_BACKUP, who: "real Velero", log: () => ` Its server's log:\n${velero!.logTail()}` },
    { ns: TS_NS, name: TS_BACKUP, who: "velero-ts", log: () => "" },
  ];
  for (const { ns, name } of runs) {
    await kube.create(GVR.backups, { apiVersion: "velero.io/v1", kind: "Backup", metadata: { namespace: ns, name, labels: { team: "a" }, annotations: { purpose: "bytes" } }, spec } as unknown as UnstructuredItem);
  }
  // The comparisons below assume both backups went well; one that did not (real Velero's API
  // calls timing out on a machine loaded by something else, say) is reported as such, with the
  // server's log (real Velero's), instead of as a difference in the bytes.
  await Promise.all(
    runs.map(async ({ ns, name, who, log }) => {
      const backup = await waitTerminal(kube, GVR.backups, name, ns, 180_000, () => velero!.logTail());
      const status = backup["status"] as { phase?: string; errors?: number; warnings?: number } | undefined;
      if (status?.phase !== "Completed") {
        throw new Error(`${who}'s backup ${name} ended ${status?.phase} (errors ${status?.errors ?? 0}, warnings ${status?.warnings ?? 0}); nothing to compare.${log()}`);
      }
    }),
  );
}, 300_000);

afterAll(async () => {
  await velero?.stop();
  await ours?.stop();
  if (kube) {
    for (const ns of [GO_NS, TS_NS, APP]) await kube.delete(GVR.namespaces, ns).catch(() => undefined);
    await kube.delete(GVR.persistentVolumes, PV).catch(() => undefined);
    await kube.close();
  }
  s3?.destroy();
  if (work && process.env["VT_KEEP_COMPAT"] !== "1") await rm(work, { recursive: true, force: true });
});

describe("the bytes of a backup: velero-ts writes what real Velero v1.18.1 writes", () => {
  let go: Map<string, Buffer>;
  let ts: Map<string, Buffer>;

  beforeAll(async () => {
    [go, ts] = await Promise.all([backupFiles(GO_BACKUP), backupFiles(TS_BACKUP)]);
    if (process.env["VT_KEEP_COMPAT"] === "1") {
      for (const [side, files] of [["go", go], ["ts", ts]] as const) {
        await mkdir(join(work, "bucket", side), { recursive: true });
        for (const [key, body] of files) await writeFile(join(work, "bucket", side, key.replaceAll("/", "_")), body);
      }
    }
  });

  it("the same files", () => {
    expect([...ts.keys()].sort()).toEqual([...go.keys()].sort());
    expect([...go.keys()]).toContain("backups/<backup>/<backup>.tar.gz");
  });

  it("every tar header block the same, PAX headers and prefix splits included, and the same end of archive", () => {
    const [goTar, tsTar] = [go, ts].map((files) => gunzipSync(files.get("backups/<backup>/<backup>.tar.gz") as Buffer)) as [Buffer, Buffer];
    const [goBlocks, tsBlocks] = [headerBlocks(goTar), headerBlocks(tsTar)];
    const byPath = (blocks: TarBlock[]): Map<string, string[]> => {
      const m = new Map<string, string[]>();
      for (const b of blocks) m.set(b.path, [...(m.get(b.path) ?? []), normalised(b)]);
      return m;
    };
    const [goHeaders, tsHeaders] = [byPath(goBlocks.blocks), byPath(tsBlocks.blocks)];
    expect([...tsHeaders.keys()].sort()).toEqual([...goHeaders.keys()].sort());
    for (const [path, headers] of goHeaders) expect(tsHeaders.get(path), path).toEqual(headers);
    // the header forms this backup was made to have: a PAX header ('x') and a prefix split
    const pax = goBlocks.blocks.find((b) => b.header[156] === 0x78);
    expect(pax?.path).toMatch(/\/pax-p+\.json$/);
    expect(pax?.header.subarray(0, 100).toString("latin1")).toMatch(/^resources\/configmaps\/namespaces\/[^/]+\/PaxHeaders\.0\/pax-p+$/);
    expect(goBlocks.blocks.some((b) => b.header[345] !== 0)).toBe(true);
    // the end of the archive: two zero blocks, nothing after (no padding to a record)
    expect(goBlocks.trailer.length).toBe(1024);
    expect(tsBlocks.trailer.equals(goBlocks.trailer)).toBe(true);
    expect(tsTar.length % 512).toBe(0);
  });

  it("every gzip member of every .gz file starts with Go's header bytes", () => {
    for (const [key, body] of go) {
      if (!key.endsWith(".gz")) continue;
      expect(gzipMemberHeaders(body), `Velero's ${key}`).toEqual([GO_GZIP_HEADER]);
      const ourHeaders = gzipMemberHeaders(ts.get(key) as Buffer);
      expect(ourHeaders.length, key).toBeGreaterThan(0);
      // the tarball may be several members (compressed in parallel); each has Go's header
      for (const h of ourHeaders) expect(h, key).toBe(GO_GZIP_HEADER);
    }
  });

  it("the side files' JSON byte for byte", () => {
    const unify = (text: string, name: string, namespace: string): string => text.replaceAll(name, "<backup>").replaceAll(namespace, "<velero-ns>");
    const sideFiles = [...go.keys()].filter((k) => k.endsWith(".json.gz") || k.endsWith("-results.gz"));
    expect(sideFiles.length).toBeGreaterThanOrEqual(5);
    for (const key of sideFiles) {
      const [g, t] = [unify(gunzipSync(go.get(key) as Buffer).toString("utf8"), GO_BACKUP, GO_NS), unify(gunzipSync(ts.get(key) as Buffer).toString("utf8"), TS_BACKUP, TS_NS)];
      expect(t, key).toBe(g);
    }
    // the PV skipped: its volume info entry has Velero's field order (skippedReason after skipped)
    expect(gunzipSync(go.get("backups/<backup>/<backup>-volumeinfo.json.gz") as Buffer).toString()).toMatch(/"skipped":true,"skippedReason":"[^"]+","pvInfo":/);
  });

  it("velero-backup.json byte for byte, but for its uid, times, resourceVersion, generation, managed field sets and names", () => {
    const key = "backups/<backup>/velero-backup.json";
    const [g, t] = [normaliseBackupJson((go.get(key) as Buffer).toString("utf8"), GO_BACKUP, GO_NS), normaliseBackupJson((ts.get(key) as Buffer).toString("utf8"), TS_BACKUP, TS_NS)];
    expect(t).toBe(g);
    // what the normalisation keeps: Go's layout and key order
    expect(g.startsWith('{\n  "kind": "Backup",\n  "apiVersion": "velero.io/v1",\n  "metadata": {\n    "name": "<backup>",')).toBe(true);
    expect(g.endsWith("}")).toBe(true);
  });
});
