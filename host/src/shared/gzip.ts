/**
 * gzip members with the header Go's compress/gzip writes, so every .gz velero-ts puts in the
 * bucket starts with the same 10 bytes as Velero's: 1f 8b 08 00 00000000 00 ff (deflate, no
 * flags, no mtime, XFL 0 at the default level, OS 255 "unknown"). zlib writes the same except
 * OS 3 (Unix); the header is outside the CRC, so patching it keeps the member valid.
 */
import { pipeline, Transform, type Readable } from "node:stream";
import { promisify } from "node:util";
import { constants, createGzip, deflateRaw as deflateRawCallback, gzip as gzipCallback, gzipSync, type InputType } from "node:zlib";

const gzipAsync = promisify(gzipCallback);
const deflateRawAsync = promisify(deflateRawCallback);

/** Pieces of a block compressed to judge it, and their size (deflate's window is 32 KiB). */
const SAMPLE_PIECES = 4;
const SAMPLE_PIECE_BYTES = 8 * 1024;
/**
 * A sample that fully compresses to more than this share of its size is mostly bytes deflate
 * finds no matches in (base64 of compressed or encrypted data, as in Helm release Secrets).
 */
const INCOMPRESSIBLE_RATIO = 0.6;

/**
 * Whether deflate's string matching would gain little on `data`: SAMPLE_PIECES pieces spread
 * over it are compressed (on the thread pool) and compared with their size. Blocks under four
 * pieces' worth are not judged (false).
 */
export async function looksIncompressible(data: Buffer): Promise<boolean> {
  if (data.length < SAMPLE_PIECES * SAMPLE_PIECE_BYTES * 4) return false;
  const step = Math.floor((data.length - SAMPLE_PIECE_BYTES) / (SAMPLE_PIECES - 1));
  const sample = Buffer.concat(Array.from({ length: SAMPLE_PIECES }, (_, i) => data.subarray(i * step, i * step + SAMPLE_PIECE_BYTES)));
  return (await deflateRawAsync(sample)).length > sample.length * INCOMPRESSIBLE_RATIO;
}

/** Offset of the XFL (extra flags) byte in a gzip member header (RFC 1952). */
const XFL_OFFSET = 8;
/** Offset of the OS byte in a gzip member header (RFC 1952). */
const OS_OFFSET = 9;
/** What Go's gzip.Writer leaves in Header.OS: 255, "unknown". */
const GO_OS = 0xff;

/**
 * Rewrites the OS byte of a gzip member starting at `member[0]` as Go writes it, and XFL as Go
 * writes it at its default level (0: zlib writes 4 for a Huffman-only member; the byte is advice
 * only); returns `member`.
 */
export function asGoGzipHeader(member: Buffer): Buffer {
  member[XFL_OFFSET] = 0;
  member[OS_OFFSET] = GO_OS;
  return member;
}

/** gzipSync with Go's member header. */
export function gzipSyncGo(data: InputType): Buffer {
  return asGoGzipHeader(gzipSync(data));
}

/**
 * gzip on the thread pool, with Go's member header. `huffmanOnly`: entropy coding without string
 * matching (Z_HUFFMAN_ONLY), several times faster on data deflate cannot match anyway (base64 of
 * compressed or encrypted bytes), for the same size there.
 */
export async function gzipGo(data: InputType, options: { huffmanOnly?: boolean } = {}): Promise<Buffer> {
  return asGoGzipHeader(await gzipAsync(data, options.huffmanOnly ? { strategy: constants.Z_HUFFMAN_ONLY } : {}));
}

/**
 * `source` gzipped as a stream, with Go's member header. An error of the source or of zlib
 * destroys the returned stream with it.
 */
export function gzipStreamGo(source: Readable): Readable {
  let offset = 0;
  const patch = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (offset <= OS_OFFSET && offset + chunk.length > OS_OFFSET) {
        chunk = Buffer.from(chunk);
        chunk[OS_OFFSET - offset] = GO_OS;
      }
      offset += chunk.length;
      done(null, chunk);
    },
  });
  return pipeline(source, createGzip(), patch, () => undefined);
}
