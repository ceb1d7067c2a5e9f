/**
 * Writes the backup tarball as Velero does: gzip(tar), regular-file entries only, mode 0755,
 * uid/gid 0, mtime now, PAX headers for long names (tar-stream), metadata/version first.
 */
import { createWriteStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { pack, type Pack } from "tar-stream";
import { BACKUP_FORMAT_VERSION } from "@velero-ts/plugin-sdk";

export class TarballWriter {
  readonly #pack: Pack;
  readonly #done: Promise<void>;
  readonly #now: () => Date;
  #bytes = 0;

  constructor(path: string, now: () => Date = () => new Date()) {
    this.#pack = pack();
    this.#now = now;
    const gzip = createGzip();
    this.#done = pipeline(this.#pack, gzip, createWriteStream(path));
    this.#done.catch(() => undefined);
  }

  async writeFile(name: string, data: Buffer): Promise<void> {
    this.#bytes += data.length;
    await new Promise<void>((resolve, reject) => {
      this.#pack.entry({ name, size: data.length, mode: 0o755, mtime: this.#now(), type: "file", uid: 0, gid: 0 }, data, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Uncompressed payload bytes written so far. */
  get bytes(): number {
    return this.#bytes;
  }

  writeVersion(): Promise<void> {
    return this.writeFile("metadata/version", Buffer.from(`${BACKUP_FORMAT_VERSION}\n`));
  }

  async close(): Promise<void> {
    this.#pack.finalize();
    await this.#done;
  }
}

/** resources/<GR>/<scope>/<name>.json, or with a version directory (<ver> or <ver>-preferredversion). */
export function itemPath(groupResource: string, namespace: string | undefined, name: string, versionDir?: string): string {
  const scope = namespace ? `namespaces/${namespace}` : "cluster";
  return versionDir ? `resources/${groupResource}/${versionDir}/${scope}/${name}.json` : `resources/${groupResource}/${scope}/${name}.json`;
}
