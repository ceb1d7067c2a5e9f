/**
 * Per-location credentials: the Secret key a BSL/VSL names is written to
 * $TMPDIR/credentials/<namespace>/<secret>-<key> (mode 0640) and passed to the plugin as
 * `credentialsFile`, as Velero's NamespacedFileStore does.
 *
 * The file is replaced atomically (a temp file beside it, then rename), never truncated in place
 * (Velero's truncates and rewrites it, so its plugins can read an empty file too):
 * a backup, a restore and the location validator each write it before they call their plugin, and
 * a plugin reading it while another writer had just truncated it would see no credentials and the
 * location would be marked Unavailable for nothing. A server killed between the write and the
 * rename leaves its temp file (`.<secret>-<key>.<pid>.<hex>.tmp`, named after the writing process
 * as scratch directories are); the next server's start removes it once that process no longer
 * runs (sweepStaleTempFiles).
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, readdir, rename, stat, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { V1SecretKeySelector } from "@kubernetes/client-node";
import type { KubeClient } from "../kube/client.js";
import { GVR } from "../kube/gvr.js";
import { processGone } from "../shared/scratch.js";

export interface CredentialFileStoreOptions {
  kube: KubeClient;
  namespace: string;
  /** Root directory; default $TMPDIR/credentials. */
  directory?: string;
}

/** Random bytes in a temp file's name. */
const TEMP_RANDOM_BYTES = 6;
/** The temp file path() writes `<secret>-<key>` through: `.<secret>-<key>.<pid>.<12 hex>.tmp`. */
function tempName(fileName: string): string {
  return `.${fileName}.${process.pid}.${randomBytes(TEMP_RANDOM_BYTES).toString("hex")}.tmp`;
}
/** The names tempName() gives (what sweepStaleTempFiles removes); group 1 is the writer's pid. */
const TEMP_FILE = new RegExp(`^\\..+\\.([1-9][0-9]*)\\.[0-9a-f]{${TEMP_RANDOM_BYTES * 2}}\\.tmp$`);
/** The names earlier versions gave, without the writer's pid: `.<secret>-<key>.<12 hex>.tmp`. */
const LEGACY_TEMP_FILE = new RegExp(`^\\..+\\.[0-9a-f]{${TEMP_RANDOM_BYTES * 2}}\\.tmp$`);
/** An earlier version's temp file younger than this may belong to a writer still running (its name does not say whose it is). */
export const STALE_TEMP_AGE_MS = 60_000;

export class CredentialFileStore {
  readonly #opts: CredentialFileStoreOptions;

  constructor(options: CredentialFileStoreOptions) {
    this.#opts = options;
  }

  get directory(): string {
    return join(this.#opts.directory ?? join(tmpdir(), "credentials"), this.#opts.namespace);
  }

  /** Writes the secret key's value to its file and returns the path. */
  async path(selector: V1SecretKeySelector): Promise<string> {
    const value = await this.secretValue(selector);
    const dir = this.directory;
    const file = join(dir, `${selector.name}-${selector.key}`);
    const temp = join(dir, tempName(`${selector.name}-${selector.key}`));
    try {
      await mkdir(dir, { recursive: true, mode: 0o750 });
      await writeFile(temp, value, { mode: 0o640, flag: "wx" });
      await chmod(temp, 0o640); // the umask may have narrowed the mode
      await rename(temp, file);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      // Velero's words first (its NamespacedFileStore), then which file and Secret key
      throw new Error(`unable to write credentials to store: ${file} (Secret "${selector.name}" key "${selector.key}"): ${(error as Error).message}`, { cause: error });
    }
    return file;
  }

  /**
   * Removes the temp files a killed writer left in this namespace's directory (each holds a copy of
   * a credentials file): those whose writing process no longer runs, whatever their age (another
   * live server's write in progress is kept), and earlier versions' pid-less ones once older than
   * `minAgeMs`. Returns the names removed; a missing directory is no error.
   */
  async sweepStaleTempFiles(now = Date.now(), minAgeMs = STALE_TEMP_AGE_MS): Promise<string[]> {
    const dir = this.directory;
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw new Error(`unable to list the credentials store ${dir} for stale temp files: ${(error as Error).message}`, { cause: error });
    }
    const removed: string[] = [];
    for (const name of names) {
      const writer = TEMP_FILE.exec(name);
      if (writer ? !processGone(Number(writer[1])) : !LEGACY_TEMP_FILE.test(name)) continue;
      const path = join(dir, name);
      try {
        if (!writer && now - (await stat(path)).mtimeMs < minAgeMs) continue;
        await unlink(path);
        removed.push(name);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw new Error(`unable to remove the stale credentials temp file ${path}: ${(error as Error).message}`, { cause: error });
      }
    }
    return removed;
  }

  /** The decoded value of a key of a Secret in the Velero namespace. */
  async secretValue(selector: V1SecretKeySelector): Promise<Buffer> {
    // Velero's words (its credential file store and GetSecretKey), which its CLI users know
    const secret = await this.#opts.kube.get(GVR.secrets, selector.name ?? "", this.#opts.namespace);
    if (!secret) throw new Error(`unable to get key for secret: Secret "${selector.name}" not found`);
    const data = (secret.data as Record<string, string> | undefined)?.[selector.key];
    if (data === undefined) throw new Error(`unable to get key for secret: "${selector.name}" secret is missing data for key "${selector.key}"`);
    return Buffer.from(data, "base64");
  }
}
