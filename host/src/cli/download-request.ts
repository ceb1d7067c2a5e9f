/**
 * Fetching files from the backup storage location the way Velero's CLI does: create a
 * DownloadRequest, wait for the server to put a signed URL in its status, then GET it (gunzipping
 * everything but the backup tarball). file:// URLs (filesystem object stores) are read directly.
 */
import { randomUUID } from "node:crypto";
import { open, readFile } from "node:fs/promises";
import { PassThrough, Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { getCACertificates, rootCertificates } from "node:tls";
import { fileURLToPath } from "node:url";
import { createGunzip } from "node:zlib";
import { getErrorMessage, VeleroError, type DownloadTargetKind } from "@velero-ts/plugin-sdk";
import { ClusterError, UsageError } from "../shared/errors.js";
import type { DownloadTls } from "./deps.js";
import { DOWNLOAD_UNREACHABLE } from "./kube-errors.js";
import { configString } from "./client-config.js";
import type { Factory } from "./factory.js";
import { ObjectChanges } from "./object-changes.js";
import { GVR, VELERO_API_VERSION } from "./resources.js";

/** The file does not exist in object storage. */
export class DownloadNotFoundError extends Error {
  constructor(kind: string, name: string) {
    super(`file not found: ${kind} for "${name}" is not in the backup storage location`);
    this.name = "DownloadNotFoundError";
  }
}

export const DOWNLOAD_POLL_MS = 250;
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 60_000;

async function signedUrl(f: Factory, kind: DownloadTargetKind, name: string, timeoutMs: number): Promise<string> {
  const kube = await f.kube();
  const namespace = f.namespace();
  const reqName = `${name}-${randomUUID()}`;
  await kube.create(GVR.downloadRequests, {
    apiVersion: VELERO_API_VERSION,
    kind: "DownloadRequest",
    metadata: { namespace, name: reqName },
    spec: { target: { kind, name } },
  });
  const deadline = f.deps.now().getTime() + timeoutMs;
  return new ObjectChanges(kube, GVR.downloadRequests, { namespace, name: reqName }).until(DOWNLOAD_POLL_MS, f.deps.sleep, async () => {
    const current = await kube.get(GVR.downloadRequests, reqName, namespace);
    const url = (current?.status as { downloadURL?: string } | undefined)?.downloadURL;
    if (url) return url;
    if (f.deps.now().getTime() >= deadline) {
      throw new ClusterError(
        `download request for ${kind} of "${name}" got no download URL within ${Math.round(timeoutMs / 1000)}s: check the velero server logs (is 'velero server' running for namespace "${namespace}"?); the backup storage location may not be available`,
      );
    }
    return undefined;
  });
}

/** The stored file at a signed URL, as a stream (a filesystem store's file:// URL is read directly). */
async function openUrl(f: Factory, url: string, kind: DownloadTargetKind, name: string): Promise<Readable> {
  if (url.startsWith("file://")) {
    try {
      const file = await open(fileURLToPath(url));
      return file.createReadStream();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new DownloadNotFoundError(kind, name);
      throw err;
    }
  }
  const tls = url.startsWith("https:") ? await downloadTls(f, kind, name) : undefined;
  let response: Response;
  try {
    response = await f.deps.fetch(url, tls);
  } catch (err) {
    // Named as the object store's trouble (not the API server's), without the signed URL: its
    // query string is a credential for the file.
    throw new DownloadUnreachableError(kind, name, new URL(url).origin, err);
  }
  if (response.status === 404) throw new DownloadNotFoundError(kind, name);
  if (!response.ok) throw new ClusterError(`request failed: ${response.status} ${(await response.text()).slice(0, 300)}`);
  return response.body ? Readable.fromWeb(response.body as WebReadableStream<Uint8Array>) : Readable.from([]);
}

/** The signed URL's object store could not be reached (refused, unknown host, TLS...). */
export class DownloadUnreachableError extends VeleroError {
  constructor(kind: DownloadTargetKind, name: string, origin: string, cause: unknown) {
    const why = getErrorMessage((cause as { cause?: unknown }).cause ?? cause);
    super(
      DOWNLOAD_UNREACHABLE,
      `cannot download the ${kind} of "${name}" from the object store at ${origin} (${why}): the backup storage location's publicUrl (or, without one, its s3Url or endpoint) must be reachable from where this command runs`,
    );
    this.name = "DownloadUnreachableError";
  }
}

/**
 * The certificates an https download trusts, as Velero's CLI (StreamWithBSLCACert): the system
 * store (and Node's bundled roots), the `--cacert` file (default: the client config's `cacert`),
 * and the CA of the location holding the file (objectStorage.caCertRef's Secret, else caCert);
 * `--insecure-skip-tls-verify` skips verification.
 */
function downloadTls(f: Factory, kind: DownloadTargetKind, name: string): Promise<DownloadTls> {
  // one lookup per command run and object: `describe --details` downloads several files of one backup
  const key = `${kind.startsWith("Restore") ? "restore" : "backup"}/${name}`;
  let perRun = tlsByRun.get(f);
  if (!perRun) tlsByRun.set(f, (perRun = new Map()));
  let tls = perRun.get(key);
  if (!tls) perRun.set(key, (tls = resolveDownloadTls(f, kind, name)));
  return tls;
}

const tlsByRun = new WeakMap<Factory, Map<string, Promise<DownloadTls>>>();

async function resolveDownloadTls(f: Factory, kind: DownloadTargetKind, name: string): Promise<DownloadTls> {
  const ca = new Set<string>([...rootCertificates, ...getCACertificates("system")]);
  const file = f.downloadFlags.cacert || configString(f.clientConfig(), "cacert");
  if (file) {
    try {
      ca.add(await readFile(file, "utf8"));
    } catch (err) {
      throw new UsageError(`cannot read the CA certificate file ${file} (--cacert, or the client config's cacert): ${(err as Error).message}`);
    }
  }
  const locationCa = await locationCaCert(f, kind, name);
  if (locationCa) ca.add(locationCa);
  return { ca: [...ca], insecure: f.downloadFlags.insecureSkipTlsVerify === true };
}

/** Velero's GetCACertFromBackup / GetCACertFromRestore: the CA of the backup's location, if any. */
async function locationCaCert(f: Factory, kind: DownloadTargetKind, name: string): Promise<string | undefined> {
  const kube = await f.kube();
  const ns = f.namespace();
  let backupName = name;
  if (kind.startsWith("Restore")) {
    const restore = await kube.get(GVR.restores, name, ns);
    backupName = (restore?.spec as { backupName?: string } | undefined)?.backupName ?? "";
  }
  const backup = backupName ? await kube.get(GVR.backups, backupName, ns) : undefined;
  const locationName = (backup?.spec as { storageLocation?: string } | undefined)?.storageLocation;
  const location = locationName ? await kube.get(GVR.backupStorageLocations, locationName, ns) : undefined;
  const storage = (location?.spec as { objectStorage?: { caCert?: string; caCertRef?: { name: string; key: string } } } | undefined)?.objectStorage;
  if (storage?.caCertRef) {
    const ref = storage.caCertRef;
    const secret = await kube.get(GVR.secrets, ref.name, ns);
    if (!secret) throw new ClusterError(`certificate secret ${ref.name} not found in namespace ${ns}`);
    if (!ref.key) throw new ClusterError("caCertRef key is empty");
    const data = (secret["data"] as Record<string, string> | undefined)?.[ref.key];
    if (data === undefined) throw new ClusterError(`key ${ref.key} not found in secret ${ref.name}`);
    return Buffer.from(data, "base64").toString("utf8");
  }
  return storage?.caCert ? Buffer.from(storage.caCert, "base64").toString("utf8") : undefined;
}

/**
 * One stored file as a stream, read as it arrives (a backup's tarball or log may be hundreds of
 * MiB); logs and JSON side files come out decompressed. A file that is not valid gzip fails the
 * stream with an error naming it.
 */
export async function downloadStream(
  f: Factory,
  kind: DownloadTargetKind,
  name: string,
  timeoutMs: number = DEFAULT_DOWNLOAD_TIMEOUT_MS,
): Promise<Readable> {
  const url = await signedUrl(f, kind, name, timeoutMs);
  const body = await openUrl(f, url, kind, name);
  if (kind === "BackupContents") return body;
  const gunzip = createGunzip();
  const out = new PassThrough();
  body.on("error", (err) => out.destroy(err));
  // a damaged file in the bucket: name it, not just zlib's complaint
  gunzip.on("error", (err) => out.destroy(new ClusterError(`the ${kind} file of "${name}" in object storage is not valid gzip (${getErrorMessage(err)}); it was damaged or replaced in the bucket`, { cause: err })));
  out.on("close", () => {
    body.destroy();
    gunzip.destroy();
  });
  body.pipe(gunzip).pipe(out);
  return out;
}

/** Downloads one stored file whole (small side files); logs and JSON side files come back decompressed. */
export async function download(f: Factory, kind: DownloadTargetKind, name: string, timeoutMs: number = DEFAULT_DOWNLOAD_TIMEOUT_MS): Promise<Buffer> {
  return buffer(await downloadStream(f, kind, name, timeoutMs));
}

/** Downloads and parses a gzip-JSON side file. */
export async function downloadJson<T>(f: Factory, kind: DownloadTargetKind, name: string, timeoutMs?: number): Promise<T> {
  return JSON.parse((await download(f, kind, name, timeoutMs)).toString("utf8")) as T;
}
