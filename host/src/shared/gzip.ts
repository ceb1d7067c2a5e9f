/**
 * gzip members with the header Go's compress/gzip writes, so every .gz velero-ts puts in the
 * bucket starts with the same 10 bytes as Velero's: 1f 8b 08 00 00000000 00 ff (deflate, no
 * flags, no mtime, XFL 0 at the default level, OS 255 "unknown"). zlib writes the same except
 * OS 3 (Unix); the header is outside the CRC, so patching that one byte keeps the member valid.
 */
import { pipeline, Transform, type Readable } from "node:stream";
import { promisify } from "node:util";
import { createGzip, gzip as gzipCallback, gzipSync, type InputType } from "node:zlib";

const gzipAsync = promisify(gzipCallback);

/** Offset of the OS byte in a gzip member header (RFC 1952). */
const OS_OFFSET = 9;
/** What Go's gzip.Writer leaves in Header.OS: 255, "unknown". */
const GO_OS = 0xff;

/** Rewrites the OS byte of a gzip member starting at `member[0]` as Go writes it; returns `member`. */
export function asGoGzipHeader(member: Buffer): Buffer {
  member[OS_OFFSET] = GO_OS;
  return member;
}

/** gzipSync with Go's member header. */
export function gzipSyncGo(data: InputType): Buffer {
  return asGoGzipHeader(gzipSync(data));
}

/** gzip on the thread pool, with Go's member header. */
export async function gzipGo(data: InputType): Promise<Buffer> {
  return asGoGzipHeader(await gzipAsync(data));
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
