/**
 * Writes the backup tarball as Velero does: gzip(tar), regular-file entries only, mode 0755,
 * uid/gid 0, mtime now, PAX headers for long names (tar-stream), metadata/version first.
 */
import { createWriteStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import { pack, type Pack } from "tar-stream";
import { BACKUP_FORMAT_VERSION } from "@velero-ts/plugin-sdk";

/** Entries queued before writeFile waits for the oldest half to be written. */
const MAX_INFLIGHT_ENTRIES = 512;

export class TarballWriter {
  readonly #pack: Pack;
  readonly #done: Promise<void>;
  readonly #now: () => Date;
  #bytes = 0;
  #inflight: Promise<void>[] = [];
  #error: Error | undefined;

  constructor(path: string, now: () => Date = () => new Date()) {
    this.#pack = pack();
    this.#now = now;
    this.#done = pipeline(this.#pack, parallelGzip(), createWriteStream(path));
    this.#done.catch(() => undefined);
  }

  /**
   * Queues an entry. Entries are not awaited one by one (gzip runs on the thread pool); the
   * caller only waits when too many are in flight, which bounds memory.
   */
  async writeFile(name: string, data: Buffer): Promise<void> {
    if (this.#error) throw this.#error;
    this.#bytes += data.length;
    const written = new Promise<void>((resolve, reject) => {
      this.#pack.entry({ name, size: data.length, mode: 0o755, mtime: this.#now(), type: "file", uid: 0, gid: 0 }, data, (err) => (err ? reject(err) : resolve()));
    });
    written.catch((err: unknown) => (this.#error ??= err instanceof Error ? err : new Error(String(err))));
    this.#inflight.push(written);
    if (this.#inflight.length >= MAX_INFLIGHT_ENTRIES) {
      await Promise.all(this.#inflight.splice(0, MAX_INFLIGHT_ENTRIES / 2));
    }
  }

  /** Uncompressed payload bytes written so far. */
  get bytes(): number {
    return this.#bytes;
  }

  writeVersion(): Promise<void> {
    return this.writeFile("metadata/version", Buffer.from(`${BACKUP_FORMAT_VERSION}\n`));
  }

  async close(): Promise<void> {
    await Promise.all(this.#inflight.splice(0));
    this.#pack.finalize();
    await this.#done;
  }
}

const gzipAsync = promisify(gzipCallback);
/** Uncompressed bytes per gzip member. */
const GZIP_BLOCK_BYTES = 1 << 20;
/** Members compressed at once on the libuv thread pool. */
const GZIP_PARALLELISM = 4;

/**
 * gzip as concatenated members of ~1 MiB, compressed in parallel on the thread pool and emitted
 * in order (like pigz). A multi-member gzip file is one valid gzip stream: Go's gzip.Reader
 * (multistream by default, as Velero reads tarballs), GNU tar and Node's gunzip read it whole.
 */
function parallelGzip(): (source: AsyncIterable<unknown>) => AsyncGenerator<Buffer> {
  return async function* (source) {
    const pending: Promise<Buffer>[] = [];
    let block: Buffer[] = [];
    let size = 0;
    const flush = (): void => {
      if (size === 0) return;
      const data = Buffer.concat(block, size);
      block = [];
      size = 0;
      pending.push(gzipAsync(data));
    };
    for await (const item of source) {
      const chunk = item as Buffer;
      block.push(chunk);
      size += chunk.length;
      if (size >= GZIP_BLOCK_BYTES) flush();
      while (pending.length >= GZIP_PARALLELISM) yield await (pending.shift() as Promise<Buffer>);
    }
    flush();
    if (pending.length === 0) yield await gzipAsync(Buffer.alloc(0));
    while (pending.length > 0) yield await (pending.shift() as Promise<Buffer>);
  };
}

/** resources/<GR>/<scope>/<name>.json, or with a version directory (<ver> or <ver>-preferredversion). */
export function itemPath(groupResource: string, namespace: string | undefined, name: string, versionDir?: string): string {
  const scope = namespace ? `namespaces/${namespace}` : "cluster";
  return versionDir ? `resources/${groupResource}/${versionDir}/${scope}/${name}.json` : `resources/${groupResource}/${scope}/${name}.json`;
}
