/**
 * The per-restore log: Velero-style text lines written to a temporary file while the restore
 * runs, then streamed (gzipped by the store) to `restores/<r>/restore-<r>-logs.gz`.
 */
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { once } from "node:events";
import { createLogger, type Logger, type LogLevel } from "../shared/logging.js";

export class RestoreLogFile {
  readonly logger: Logger;
  readonly #dir: string;
  readonly #file: string;
  readonly #out: WriteStream;
  #closed = false;

  private constructor(dir: string, bindings: Record<string, unknown>, level: LogLevel, format: "text" | "json") {
    this.#dir = dir;
    this.#file = path.join(dir, "restore.log");
    this.#out = createWriteStream(this.#file, { mode: 0o600 });
    this.logger = createLogger({ level, format, destination: this.#out }).child(bindings);
  }

  static async create(bindings: Record<string, unknown>, options: { level?: LogLevel; format?: "text" | "json"; tempDir?: string } = {}): Promise<RestoreLogFile> {
    const dir = await mkdtemp(path.join(options.tempDir ?? tmpdir(), "velero-restore-log-"));
    return new RestoreLogFile(dir, bindings, options.level ?? "info", options.format ?? "text");
  }

  /** Stops writing and returns the log's contents as a stream. */
  async finish(): Promise<Readable> {
    if (!this.#closed) {
      this.#closed = true;
      this.#out.end();
      await once(this.#out, "finish");
    }
    return createReadStream(this.#file);
  }

  async dispose(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#out.end();
      await once(this.#out, "finish").catch(() => undefined);
    }
    await rm(this.#dir, { recursive: true, force: true });
  }
}
