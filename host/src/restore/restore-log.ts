/**
 * The per-restore log: Velero-style text lines written to a temporary file while the restore
 * runs, then streamed (gzipped by the store) to `restores/<r>/restore-<r>-logs.gz`.
 */
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { once } from "node:events";
import { createLogger, teeLogger, type Logger, type LogLevel } from "../shared/logging.js";
import { makeScratchDir } from "../shared/scratch.js";
import { logrusLevel, LogrusTextLogger, writesFormattedLines, type LineSink } from "../shared/logrus-format.js";

/** Text gathered before it is written to the file. */
const WRITE_CHUNK_CHARS = 64 * 1024;

/** Lines batched into 64 KiB writes to the log file (flushed by finish()). */
class BatchedFileSink {
  readonly #out: WriteStream;
  #pending: string[] = [];
  #chars = 0;

  constructor(out: WriteStream) {
    this.#out = out;
  }

  write(line: string): void {
    this.#pending.push(line);
    if ((this.#chars += line.length) >= WRITE_CHUNK_CHARS) this.flush();
  }

  flush(): void {
    if (this.#pending.length === 0 || !this.#out.writable) return;
    this.#out.write(this.#pending.join(""));
    this.#pending = [];
    this.#chars = 0;
  }
}

export class RestoreLogFile {
  readonly logger: Logger;
  readonly #dir: string;
  readonly #file: string;
  readonly #out: WriteStream;
  #closed = false;

  readonly #text: BatchedFileSink | undefined;

  private constructor(dir: string, bindings: Record<string, unknown>, level: LogLevel, format: "text" | "json", tee: Logger | undefined) {
    this.#dir = dir;
    this.#file = path.join(dir, "restore.log");
    this.#out = createWriteStream(this.#file, { mode: 0o600 });
    // the server's text log takes the very lines of the restore's text log; any other pair of
    // formats gets each call twice
    const linesToo = format === "text" && tee !== undefined && writesFormattedLines(tee) ? tee : undefined;
    let logger: Logger;
    if (format === "text") {
      const text = new BatchedFileSink(this.#out);
      this.#text = text;
      const sink: LineSink = linesToo ? { write: (line, lineLevel) => (text.write(line), linesToo.writeFormatted(lineLevel, line)) } : text;
      logger = new LogrusTextLogger(sink, logrusLevel(level), bindings);
    } else {
      logger = createLogger({ level, format, destination: this.#out }).child(bindings);
    }
    this.logger = tee && !linesToo ? teeLogger(logger, tee.child(bindings)) : logger;
  }

  /**
   * `tee`: the server's logger, which also gets every line, as Velero's restore logger writes each
   * line to the server's output as well as to the restore's log file.
   */
  static async create(bindings: Record<string, unknown>, options: { level?: LogLevel; format?: "text" | "json"; tempDir?: string; tee?: Logger } = {}): Promise<RestoreLogFile> {
    const dir = options.tempDir ? await mkdtemp(path.join(options.tempDir, "velero-restore-log-")) : await makeScratchDir("velero-restore-log-");
    return new RestoreLogFile(dir, bindings, options.level ?? "info", options.format ?? "text", options.tee);
  }

  /**
   * The log as written so far, as a stream, while writing goes on (what is stored before a
   * restore's post-restore hooks run). Lines written later are not in it.
   */
  async snapshot(): Promise<Readable> {
    if (this.#closed) return createReadStream(this.#file);
    this.#text?.flush();
    // an empty write calls back once everything written before it is in the file
    await new Promise<void>((resolve, reject) => this.#out.write("", (err) => (err ? reject(err) : resolve())));
    const bytes = this.#out.bytesWritten;
    return bytes === 0 ? Readable.from([]) : createReadStream(this.#file, { start: 0, end: bytes - 1 });
  }

  /** Stops writing and returns the log's contents as a stream. */
  async finish(): Promise<Readable> {
    if (!this.#closed) {
      this.#text?.flush();
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
