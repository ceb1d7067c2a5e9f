/**
 * Writes the backup tarball with the bytes Velero's Go archive/tar writes (pkg/backup/backup.go:
 * gzip.NewWriter, tar.NewWriter, one tar.Header{Name, Size, Typeflag '0', Mode 0755, ModTime now}
 * per file): regular-file entries only, metadata/version first, mtime rounded to the nearest
 * second, two zero blocks at the end (no padding to a 10 KiB record). Headers are USTAR (a name
 * over 100 bytes split into prefix/name at the last '/' that fits); a name that does not fit, or
 * is not ASCII, gets a PAX header ('x', named <dir>/PaxHeaders.0/<file>) with its `path` first.
 * tar-writer.test.ts compares with bytes Go wrote. The headers are built synchronously into
 * ~1 MiB blocks, each gzipped on the thread pool as its own gzip member (Go writes one member;
 * a multi-member gzip lets compression run in parallel, and Go's gzip.Reader, zlib and gunzip
 * all read it as one stream). Every member starts with Go's 10 header bytes (shared/gzip.ts).
 * A block whose sample deflate cannot shrink (base64 of compressed data: Helm release Secrets) is
 * Huffman-coded only (shared/gzip.ts looksIncompressible): four times faster, as small there.
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { BACKUP_FORMAT_VERSION } from "@velero-ts/plugin-sdk";
import { gzipGo, looksIncompressible } from "../shared/gzip.js";

/** Uncompressed bytes per gzip member. */
const GZIP_BLOCK_BYTES = 1 << 20;
/** Members compressed at once on the libuv thread pool (writeFile waits beyond that). */
const GZIP_PARALLELISM = 4;
const END_OF_TAR = Buffer.alloc(1024);
const FILE_MODE = 0o755;

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
  #huffmanOnlyMembers = 0;

  constructor(path: string, now: () => Date = () => new Date()) {
    this.#now = now;
    this.#path = path;
    this.#out = createWriteStream(path);
    this.#out.on("error", (err) => (this.#error ??= new TarballWriteError(path, err)));
  }

  /**
   * Appends an entry. The tar bytes are built at once; gzip runs on the thread pool in ~1 MiB
   * members, and the caller waits only when GZIP_PARALLELISM of them are still in flight.
   * `mtime` (default: now) is what the header records, rounded to the nearest second.
   */
  writeFile(name: string, content: Buffer | string, mtime?: Date): Promise<void> {
    const wait = this.append(name, content, mtime);
    return wait ?? Promise.resolve();
  }

  /**
   * writeFile without a promise per entry: returns undefined when the entry is in, or a promise
   * to await (gzip backpressure) before the next one. Throws at once on a write error.
   */
  append(name: string, content: Buffer | string, mtime?: Date): Promise<void> | undefined {
    return this.appendCopies([name], content, mtime);
  }

  /**
   * append() of the same content under each of `names` (an item's plain and preferred-version
   * paths): a string is encoded once, straight into the block, and the further entries copy
   * those bytes. All the entries go into one gzip block.
   */
  appendCopies(names: readonly string[], content: Buffer | string, mtime?: Date): Promise<void> | undefined {
    if (this.#error) throw this.#error;
    if (this.#closed) throw new Error(`cannot add "${names[0] ?? ""}" to the tarball: it is already closed`);
    const size = typeof content === "string" ? Buffer.byteLength(content) : content.length;
    const seconds = roundToSecond((mtime ?? this.#now()).getTime());
    const headers = names.map((name) => entryHeader(name, size));
    let total = 0;
    for (const h of headers) total += h.bytes + padded(size);
    this.#reserve(total);
    let first = -1;
    for (const h of headers) {
      this.#writeHeader(h, size, seconds);
      this.#bytes += size;
      if (first < 0) {
        first = this.#used;
        this.#data(typeof content === "string" ? { text: content, length: size } : content);
      } else {
        this.#block.copyWithin(this.#used, first, first + padded(size));
        this.#used += padded(size);
      }
    }
    if (this.#pending.length >= GZIP_PARALLELISM) return this.#waitOldest();
    return undefined;
  }

  /** Writes an entry's header (and PAX records) at #used; the room was reserved. */
  #writeHeader(h: EntryHeader, size: number, seconds: number): void {
    if (h.split) {
      writeUstarHeader(this.#block, this.#used, h.split, size, seconds);
      this.#used += 512;
      return;
    }
    const records = h.records as Buffer;
    writePaxExtendedHeader(this.#block, this.#used, h.name, records.length);
    this.#used += 512;
    this.#data(records);
    writePaxFileHeader(this.#block, this.#used, h.name, size, seconds);
    this.#used += 512;
  }

  async #waitOldest(): Promise<void> {
    // A failed member records the first error as #error (a TarballWriteError naming the file).
    await this.#pending.shift()?.catch(() => undefined);
    if (this.#error) throw this.#error;
  }

  /** Members Huffman-coded only so far (looksIncompressible; for tests). */
  get huffmanOnlyMembers(): number {
    return this.#huffmanOnlyMembers;
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

  /** Copies data and zero-pads it to the 512-byte record size. */
  #data(data: Buffer | { text: string; length: number }): void {
    const end = this.#used + (Buffer.isBuffer(data) ? data.copy(this.#block, this.#used) : this.#block.write(data.text, this.#used, data.length, "utf8"));
    this.#used = this.#used + padded(data.length);
    this.#block.fill(0, end, this.#used);
  }

  /** Sends the current block to gzip; members are written to the file in order. */
  #flush(): void {
    if (this.#used === 0) return;
    const block = this.#block.subarray(0, this.#used);
    const compressed = looksIncompressible(block).then((huffmanOnly) => {
      if (huffmanOnly) this.#huffmanOnlyMembers++;
      return gzipGo(block, { huffmanOnly });
    });
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

function padded(size: number): number {
  return (size + 511) & ~511;
}

/** How an entry's header is written: a USTAR name split, or PAX records; `bytes` before its data. */
interface EntryHeader {
  name: string;
  split: { name: string; prefix: string } | undefined;
  records: Buffer | undefined;
  bytes: number;
}

function entryHeader(name: string, size: number): EntryHeader {
  const split = ustarSplit(name);
  if (split && size <= MAX_OCTAL_SIZE) return { name, split, records: undefined, bytes: 512 };
  // Go's writePAXHeader: the records, sorted by key, in an 'x' entry; then the file's header.
  // Go records the path whenever it is not short ASCII, even if USTAR could have split it.
  const path = !split || name.length > NAME_SIZE ? paxRecord("path", name) : "";
  const records = Buffer.from(path + (size > MAX_OCTAL_SIZE ? paxRecord("size", String(size)) : ""));
  return { name, split: undefined, records, bytes: 512 + padded(records.length) + 512 };
}

/** time.Time.Round(time.Second) of a time in ms (halves away from zero), in Unix seconds. */
function roundToSecond(ms: number): number {
  return ms >= 0 ? Math.floor((ms + 500) / 1000) : -Math.floor((500 - ms) / 1000);
}

// Header layout (POSIX ustar): offsets and widths of the fields written here.
const NAME = 0;
const NAME_SIZE = 100;
const MODE = 100;
const UID = 108;
const GID = 116;
const SIZE = 124;
const MTIME = 136;
const CHKSUM = 148;
const TYPEFLAG = 156;
const MAGIC = 257;
const DEVMAJOR = 329;
const DEVMINOR = 337;
const PREFIX = 345;
const PREFIX_SIZE = 155;
const TYPE_FILE = 0x30; // '0'
const TYPE_PAX = 0x78; // 'x'
/** Largest size an 11-digit octal field holds (8 GiB - 1); beyond it Go adds a PAX `size` record. */
const MAX_OCTAL_SIZE = 8 ** 11 - 1;

/**
 * The ustar name/prefix of a path as Go's writer picks them, or undefined when the path needs a
 * PAX record: not ASCII (or holds a NUL), or over 100 bytes with no '/' to split it at such that
 * the prefix (the longest possible: up to the last '/' within the first 156 bytes) fits 155 bytes
 * and the rest 100 (archive/tar splitUSTARPath).
 */
function ustarSplit(path: string): { name: string; prefix: string } | undefined {
  // eslint-disable-next-line no-control-regex
  if (!/^[\x01-\x7f]*$/.test(path)) return undefined;
  if (path.length <= NAME_SIZE) return { name: path, prefix: "" };
  let length = path.length;
  if (length > PREFIX_SIZE + 1) length = PREFIX_SIZE + 1;
  else if (path.charCodeAt(length - 1) === 0x2f) length--;
  const i = path.lastIndexOf("/", length - 1);
  const nameLength = path.length - i - 1;
  if (i <= 0 || nameLength > NAME_SIZE || nameLength === 0 || i > PREFIX_SIZE) return undefined;
  return { name: path.slice(i + 1), prefix: path.slice(0, i) };
}

/**
 * The fields every file header shares, as Go's templateV7Plus and setFormat(USTAR|PAX) write them:
 * mode "0000755\0", uid/gid "0000000\0", no user/group names, magic "ustar\0" version "00",
 * devmajor/devminor "0000000\0"; and the byte sum of that template with the checksum field as spaces.
 */
const FILE_TEMPLATE = (() => {
  const t = Buffer.alloc(512);
  t.write(octalField(FILE_MODE, 8), MODE, "latin1");
  t.write(octalField(0, 8), UID, "latin1");
  t.write(octalField(0, 8), GID, "latin1");
  t.write("ustar\u000000", MAGIC, "latin1");
  t.write(octalField(0, 8), DEVMAJOR, "latin1");
  t.write(octalField(0, 8), DEVMINOR, "latin1");
  return t;
})();
const FILE_TEMPLATE_SUM = byteSum(FILE_TEMPLATE, 0, 512) + 8 * 0x20 + TYPE_FILE;

/** Writes a regular file's ustar header at `off` (the hot path: no intermediate strings). */
function writeUstarHeader(buf: Buffer, off: number, { name, prefix }: { name: string; prefix: string }, size: number, mtime: number): void {
  FILE_TEMPLATE.copy(buf, off);
  // Names are ASCII (ustarSplit), so latin1 writes one byte per character.
  let sum = FILE_TEMPLATE_SUM;
  buf.write(name, off + NAME, "latin1");
  for (let i = 0; i < name.length; i++) sum += name.charCodeAt(i);
  if (prefix) {
    buf.write(prefix, off + PREFIX, "latin1");
    for (let i = 0; i < prefix.length; i++) sum += prefix.charCodeAt(i);
  }
  sum += writeOctal(buf, off + SIZE, 12, size);
  sum += writeOctal(buf, off + MTIME, 12, mtime);
  buf[off + TYPEFLAG] = TYPE_FILE;
  writeChecksum(buf, off, sum);
}

/**
 * Go's writeRawFile header for a file's PAX records: typeflag 'x', named <dir>/PaxHeaders.0/<file>
 * made ASCII and cut to 100 bytes (then stripped of trailing '/'), mode/uid/gid/mtime 0, size the
 * records' length, no user/group names, devmajor/devminor left NUL, magic "ustar\0" "00".
 */
function writePaxExtendedHeader(buf: Buffer, off: number, path: string, recordsLength: number): void {
  buf.fill(0, off, off + 512);
  let name = toAscii(joinPath(dirName(path), "PaxHeaders.0", baseName(path)));
  if (name.length > NAME_SIZE) name = name.slice(0, NAME_SIZE);
  buf.write(name.replace(/\/+$/, ""), off + NAME, "latin1");
  for (const field of [MODE, UID, GID]) writeOctal(buf, off + field, 8, 0);
  writeOctal(buf, off + SIZE, 12, recordsLength);
  writeOctal(buf, off + MTIME, 12, 0);
  buf[off + TYPEFLAG] = TYPE_PAX;
  buf.write("ustar\u000000", off + MAGIC, "latin1");
  writeChecksum(buf, off, byteSum(buf, off, 512) + 8 * 0x20);
}

/**
 * The header after the PAX records (Go's writePAXHeader with templateV7Plus): the file's usual
 * fields, a best-effort name (the path made ASCII, cut to 100 bytes) and no prefix. A size too
 * large for its field is in the records, and Go's formatter writes zero there.
 */
function writePaxFileHeader(buf: Buffer, off: number, path: string, size: number, mtime: number): void {
  FILE_TEMPLATE.copy(buf, off);
  writeNameField(buf, off, toAscii(path));
  writeOctal(buf, off + SIZE, 12, size > MAX_OCTAL_SIZE ? 0 : size);
  writeOctal(buf, off + MTIME, 12, mtime);
  buf[off + TYPEFLAG] = TYPE_FILE;
  writeChecksum(buf, off, byteSum(buf, off, 512) + 8 * 0x20);
}

/**
 * Go's formatString into the 100-byte name field: the first 100 bytes, NUL-terminated when
 * shorter; a cut name whose 100th byte is '/' ends at its last non-'/' byte before that instead.
 */
function writeNameField(buf: Buffer, off: number, name: string): void {
  buf.write(name.slice(0, NAME_SIZE), off + NAME, "latin1");
  if (name.length > NAME_SIZE && name.charCodeAt(NAME_SIZE - 1) === 0x2f) {
    buf[off + NAME + name.slice(0, NAME_SIZE - 1).replace(/\/+$/, "").length] = 0;
  }
}

/**
 * Writes `value` as Go's formatOctal does into a `width`-byte field: zero-padded octal digits
 * filling all but the last byte, then NUL. Returns the byte sum of the digits.
 */
function writeOctal(buf: Buffer, off: number, width: number, value: number): number {
  let sum = 0;
  let v = value;
  for (let i = off + width - 2; i >= off; i--) {
    const digit = v % 8;
    buf[i] = 0x30 + digit;
    sum += 0x30 + digit;
    v = (v - digit) / 8;
  }
  buf[off + width - 1] = 0;
  return sum;
}

/** Go's setFormat: the unsigned byte sum as 6 octal digits, NUL, space. */
function writeChecksum(buf: Buffer, off: number, sum: number): void {
  writeOctal(buf, off + CHKSUM, 7, sum);
  buf[off + CHKSUM + 7] = 0x20;
}

function byteSum(buf: Buffer, from: number, length: number): number {
  let sum = 0;
  for (let i = from; i < from + length; i++) sum += buf[i] as number;
  return sum;
}

/** `value` as formatOctal writes a `width`-byte field (for the template). */
function octalField(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, "0") + "\u0000";
}

/** Go's toASCII: the path with every non-ASCII character (and NUL) dropped. */
function toAscii(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[^\x01-\x7f]/gu, "");
}

/** path.Split's dir: everything up to and including the last '/' ("" when none). */
function dirName(path: string): string {
  return path.slice(0, path.lastIndexOf("/") + 1);
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** Go's path.Join: the non-empty elements joined with '/', then cleaned (path.Clean). */
function joinPath(...elements: string[]): string {
  const joined = elements.filter((e) => e !== "").join("/");
  if (joined === "") return "";
  const rooted = joined.startsWith("/");
  const out: string[] = [];
  for (const segment of joined.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
      continue;
    }
    out.push(segment);
  }
  const cleaned = (rooted ? "/" : "") + out.join("/");
  return cleaned === "" ? "." : cleaned;
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
