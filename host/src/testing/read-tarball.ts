/** Reads a gzip(tar) file written by the backup engine into its entries, by name (unit tests). */
import { readFileSync } from "node:fs";
import { Readable } from "node:stream";
import { gunzipSync } from "node:zlib";
import { extract } from "tar-stream";

export interface TarballEntry {
  data: string;
  mode: number;
  type: string;
}

/** The entries of a gzip(tar) file, or of its bytes. */
export async function readTarball(path: string | Buffer): Promise<Map<string, TarballEntry>> {
  const entries = new Map<string, TarballEntry>();
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on("entry", (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: unknown) => chunks.push(c as Buffer));
      stream.on("end", () => {
        entries.set(header.name, { data: Buffer.concat(chunks).toString(), mode: header.mode ?? 0, type: header.type ?? "" });
        next();
      });
    });
    ex.on("finish", resolve);
    ex.on("error", reject);
  });
  Readable.from([gunzipSync(typeof path === "string" ? readFileSync(path) : path)]).pipe(ex);
  await done;
  return entries;
}
