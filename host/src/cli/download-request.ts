/**
 * Fetching files from the backup storage location the way Velero's CLI does: create a
 * DownloadRequest, wait for the server to put a signed URL in its status, then GET it (gunzipping
 * everything but the backup tarball). file:// URLs (filesystem object stores) are read directly.
 */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import type { DownloadTargetKind } from "@velero-ts/plugin-sdk";
import { ClusterError } from "../shared/errors.js";
import type { Factory } from "./factory.js";
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
  for (;;) {
    const current = await kube.get(GVR.downloadRequests, reqName, namespace);
    const url = (current?.status as { downloadURL?: string } | undefined)?.downloadURL;
    if (url) return url;
    if (f.deps.now().getTime() >= deadline) {
      throw new ClusterError(
        `download request for ${kind} of "${name}" got no download URL within ${Math.round(timeoutMs / 1000)}s: check the velero server logs (is 'velero server' running for namespace "${namespace}"?); the backup storage location may not be available`,
      );
    }
    await f.deps.sleep(DOWNLOAD_POLL_MS);
  }
}

async function fetchUrl(f: Factory, url: string, kind: string, name: string): Promise<Buffer> {
  if (url.startsWith("file://")) {
    try {
      return await readFile(fileURLToPath(url));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new DownloadNotFoundError(kind, name);
      throw err;
    }
  }
  const response = await f.deps.fetch(url);
  if (response.status === 404) throw new DownloadNotFoundError(kind, name);
  if (!response.ok) throw new ClusterError(`request failed: ${response.status} ${(await response.text()).slice(0, 300)}`);
  return Buffer.from(await response.arrayBuffer());
}

/** Downloads one stored file; logs and JSON side files come back decompressed. */
export async function download(
  f: Factory,
  kind: DownloadTargetKind,
  name: string,
  timeoutMs: number = DEFAULT_DOWNLOAD_TIMEOUT_MS,
): Promise<Buffer> {
  const url = await signedUrl(f, kind, name, timeoutMs);
  const body = await fetchUrl(f, url, kind, name);
  return kind === "BackupContents" ? body : gunzipSync(body);
}

/** Downloads and parses a gzip-JSON side file. */
export async function downloadJson<T>(f: Factory, kind: DownloadTargetKind, name: string, timeoutMs?: number): Promise<T> {
  return JSON.parse((await download(f, kind, name, timeoutMs)).toString("utf8")) as T;
}
