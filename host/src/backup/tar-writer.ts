/**
 * Writes the backup tarball as Velero does: gzip(tar), regular-file entries only, mode 0755,
 * uid/gid 0, mtime now, metadata/version first. Headers are ustar (a name over 100 bytes is split
 * into prefix/name at a '/'); a name that does not fit, or is not ASCII, gets a PAX header with
 * its `path` — the same bytes tar-stream's pack() writes (tar-writer.test.ts compares them), but
 * built synchronously into ~1 MiB blocks instead of one stream hand-off per entry.
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import { BACKUP_FORMAT_VERSION } from "@velero-ts/plugin-sdk";

const gzipAsync = promisify(gzipCallback);
/** Uncompressed bytes per gzip member. */
const GZIP_BLOCK_BYTES = 1 << 20;
/** Members compressed at once on the libuv thread pool (writeFile waits beyond that). */
const GZIP_PARALLELISM = 4;
const END_OF_TAR = Buffer.alloc(1024);
const FILE_MODE = 0o755;
const MODE_UID_GID = `${octal(FILE_MODE, 6)}\u0000${octal(0, 6)}\u0000${octal(0, 6)}\u0000`;
const MAGIC_VERSION = "ustar\u000000";
const DEV_MAJOR_MINOR = `${octal(0, 6)}\u0000${octal(0, 6)}`;

/**
 * The tarball file could not be written (disk full, a bad temp dir...): fatal to the whole backup,
 * not to the item being added, so the engine stops at once instead of failing every item.
 */
export class TarballWriteError extends Error {
  constructor(path: string, cause: Error) {
    const full = (cause as NodeJS.ErrnoException).code === "ENOSPC" ? " (its filesystem is full: free space there, or point TMPDIR at a larger one)" : "";
    super(`cannot write the backup tarball ${path}: ${cause.message}${full}`, { cause });
    this.name = "TarballWriteError";
  }
}

export class TarballWriter {
  readonly #out: WriteStream;
  readonly #path: string;
  readonly #now: () => Date;
  #bytes = 0;
  /** The block being filled (tar bytes up to #used), gzipped as one member when full. */
  #block: Buffer = EMPTY;
  #used = 0;
  /** Blocks being compressed or written, oldest first; each resolves once its member is in the file. */
  readonly #pending: Promise<void>[] = [];
  #tail: Promise<void> = Promise.resolve();
  #error: Error | undefined;
  #closed = false;

  constructor(path: string, now: () => Date = () => new Date()) {
    this.#now = now;
    this.#path = path;
    this.#out = createWriteStream(path);
    this.#out.on("error", (err) => (this.#error ??= new TarballWriteError(path, err)));
  }

  /**
   * Appends an entry. The tar bytes are built at once; gzip runs on the thread pool in ~1 MiB
   * members, and the caller waits only when GZIP_PARALLELISM of them are still in flight.
   */
  writeFile(name: string, content: Buffer | string): Promise<void> {
    const wait = this.append(name, content);
    return wait ?? Promise.resolve();
  }

  /**
   * writeFile without a promise per entry: returns undefined when the entry is in, or a promise
   * to await (gzip backpressure) before the next one. Throws at once on a write error.
   */
  append(name: string, content: Buffer | string): Promise<void> | undefined {
    if (this.#error) throw this.#error;
    if (this.#closed) throw new Error(`cannot add "${name}" to the tarball: it is already closed`);
    // A string (UTF-8) is encoded straight into the block, without an intermediate Buffer.
    const data = typeof content === "string" ? { text: content, length: Buffer.byteLength(content) } : content;
    this.#bytes += data.length;
    const mtime = Math.floor(this.#now().getTime() / 1000);
    const ustar = ustarName(name);
    if (ustar) {
      this.#reserve(512 + padded(data.length));
      this.#header(ustar, data.length, mtime, TYPE_FILE);
    } else {
      const pax = Buffer.from(paxRecord("path", name));
      this.#reserve(512 + padded(pax.length) + 512 + padded(data.length));
      this.#header(PAX_NAME, pax.length, mtime, TYPE_PAX);
      this.#data(pax);
      this.#header(PAX_NAME, data.length, mtime, TYPE_FILE);
    }
    this.#data(data);
    if (this.#pending.length >= GZIP_PARALLELISM) return this.#waitOldest();
    return undefined;
  }

  async #waitOldest(): Promise<void> {
    // A failed member records the first error as #error (a TarballWriteError naming the file).
    await this.#pending.shift()?.catch(() => undefined);
    if (this.#error) throw this.#error;
  }

  /** Uncompressed payload bytes written so far. */
  get bytes(): number {
    return this.#bytes;
  }

  writeVersion(): Promise<void> {
    return this.writeFile("metadata/version", Buffer.from(`${BACKUP_FORMAT_VERSION}\n`));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#reserve(END_OF_TAR.length);
    this.#data(END_OF_TAR);
    this.#flush();
    await Promise.allSettled(this.#pending.splice(0));
    await new Promise<void>((resolve) => this.#out.end(() => resolve()));
    if (this.#error) throw this.#error;
  }

  /** Makes room for `n` bytes in the current block, sending the block to gzip first when full. */
  #reserve(n: number): void {
    if (this.#used + n <= this.#block.length) return;
    this.#flush();
    this.#block = Buffer.allocUnsafe(Math.max(GZIP_BLOCK_BYTES, n));
  }

  #header(name: { name: string; prefix: string }, size: number, mtime: number, typeflag: number): void {
    writeHeader(this.#block, this.#used, name, size, mtime, typeflag);
    this.#used += 512;
  }

  /** Copies data and zero-pads it to the 512-byte record size. */
  #data(data: Buffer | { text: string; length: number }): void {
    const end = this.#used + (Buffer.isBuffer(data) ? data.copy(this.#block, this.#used) : this.#block.write(data.text, this.#used, data.length, "utf8"));
    this.#used = this.#used + padded(data.length);
    this.#block.fill(0, end, this.#used);
  }

  /** Sends the current block to gzip; members are written to the file in order. */
  #flush(): void {
    if (this.#used === 0) return;
    const compressed = gzipAsync(this.#block.subarray(0, this.#used));
    this.#block = EMPTY;
    this.#used = 0;
    const written = this.#tail.then(async () => {
      const member = await compressed;
      await new Promise<void>((resolve, reject) => this.#out.write(member, (err) => (err ? reject(err) : resolve())));
    });
    written.catch((err: unknown) => (this.#error ??= err instanceof TarballWriteError ? err : new TarballWriteError(this.#path, err instanceof Error ? err : new Error(String(err)))));
    compressed.catch(() => undefined);
    this.#tail = written.catch(() => undefined);
    this.#pending.push(written);
  }
}

const EMPTY = Buffer.alloc(0);
const PAX_NAME = { name: "PaxHeader", prefix: "" };

function padded(size: number): number {
  return (size + 511) & ~511;
}

const TYPE_FILE = 0x30; // '0'
const TYPE_PAX = 0x78; // 'x'

/** The ustar name/prefix split of a path, or undefined when it needs a PAX record (not ASCII, or no split fits). */
function ustarName(path: string): { name: string; prefix: string } | undefined {
  let name = path;
  // eslint-disable-next-line no-control-regex
  if (!/^[\x00-\x7f]*$/.test(name)) return undefined;
  let prefix = "";
  while (name.length > 100) {
    const i = name.indexOf("/");
    if (i === -1) return undefined;
    prefix += prefix ? "/" + name.slice(0, i) : name.slice(0, i);
    name = name.slice(i + 1);
  }
  return prefix.length > 155 ? undefined : { name, prefix };
}

/**
 * The header fields every entry shares (mode 0755, uid/gid 0, magic, devices), and the checksum
 * of that template with blank name/size/mtime/typeflag/prefix and the checksum field as spaces.
 */
const TEMPLATE = (() => {
  const t = Buffer.alloc(512);
  t.write(MODE_UID_GID, 100, "latin1");
  t.write(MAGIC_VERSION, 257, "latin1");
  t.write(DEV_MAJOR_MINOR, 329, "latin1");
  return t;
})();
const TEMPLATE_SUM = TEMPLATE.reduce((sum, b) => sum + b, 8 * 32);

/** Writes a 512-byte ustar header at `off` (mode 0755, uid/gid 0, no user/group names). */
function writeHeader(buf: Buffer, off: number, { name, prefix }: { name: string; prefix: string }, size: number, mtime: number, typeflag: number): void {
  TEMPLATE.copy(buf, off);
  // Names are ASCII (ustarName), so latin1 writes one byte per character.
  let sum = TEMPLATE_SUM + typeflag;
  buf.write(name, off, "latin1");
  for (let i = 0; i < name.length; i++) sum += name.charCodeAt(i);
  const sizeText = octal(size, 11);
  buf.write(sizeText, off + 124, "latin1");
  for (let i = 0; i < sizeText.length; i++) sum += sizeText.charCodeAt(i);
  const mtimeText = octal(mtime, 11);
  buf.write(mtimeText, off + 136, "latin1");
  for (let i = 0; i < mtimeText.length; i++) sum += mtimeText.charCodeAt(i);
  buf[off + 156] = typeflag;
  if (prefix) {
    buf.write(prefix, off + 345, "latin1");
    for (let i = 0; i < prefix.length; i++) sum += prefix.charCodeAt(i);
  }
  buf.write(octal(sum, 6), off + 148, "latin1");
}

/** `n` octal digits, zero-padded, then a space (all sevens when the value does not fit). */
function octal(value: number, n: number): string {
  const digits = value.toString(8);
  return digits.length > n ? "7".repeat(n) + " " : digits.padStart(n, "0") + " ";
}

/** One PAX extended-header record: "<length> <key>=<value>\n", the length counting itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const len = Buffer.byteLength(body);
  let digits = String(len).length;
  if (len + digits >= 10 ** digits) digits++;
  return `${len + digits}${body}`;
}

/** resources/<GR>/<scope>/<name>.json, or with a version directory (<ver> or <ver>-preferredversion). */
export function itemPath(groupResource: string, namespace: string | undefined, name: string, versionDir?: string): string {
  const scope = namespace ? `namespaces/${namespace}` : "cluster";
  return versionDir ? `resources/${groupResource}/${versionDir}/${scope}/${name}.json` : `resources/${groupResource}/${scope}/${name}.json`;
}
