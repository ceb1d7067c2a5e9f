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
import { fieldPieces, joinPieces, LOGRUS_LEVEL_ORDER, logrusLevel, logrusLine, mergeFields, type LogrusLevel } from "../shared/logrus-format.js";

/** Text gathered before it is written to the file. */
const WRITE_CHUNK_CHARS = 64 * 1024;

interface TextSink {
  out: WriteStream;
  level: LogrusLevel;
  pending: string[];
  pendingChars: number;
}

/**
 * The text format of the restore log: lines as Velero's logrus writes them (whole-second times,
 * fields sorted by key, `error=`), formatted directly and written to the file in 64 KiB pieces.
 */
class LogrusFileLogger implements Logger {
  readonly #sink: TextSink;
  readonly #fields: Record<string, unknown>;
  #pieces: [string, string][] | undefined;
  #formatted: string | undefined;

  constructor(sink: TextSink, fields: Record<string, unknown>) {
    this.#sink = sink;
    this.#fields = fields;
  }

  isLevelEnabled(level: string): boolean {
    return level in LOGRUS_LEVEL_ORDER && LOGRUS_LEVEL_ORDER[level as LogrusLevel] >= LOGRUS_LEVEL_ORDER[this.#sink.level];
  }

  child(bindings: Record<string, unknown>): Logger {
    return new LogrusFileLogger(this.#sink, { ...this.#fields, ...bindings });
  }

  trace(obj: object | string, msg?: string): void {
    this.#write("trace", obj, msg);
  }
  debug(obj: object | string, msg?: string): void {
    this.#write("debug", obj, msg);
  }
  info(obj: object | string, msg?: string): void {
    this.#write("info", obj, msg);
  }
  warn(obj: object | string, msg?: string): void {
    this.#write("warn", obj, msg);
  }
  error(obj: object | string, msg?: string): void {
    this.#write("error", obj, msg);
  }

  /** Writes what is pending to the file. */
  flush(): void {
    const s = this.#sink;
    if (s.pending.length === 0 || !s.out.writable) return;
    s.out.write(s.pending.join(""));
    s.pending = [];
    s.pendingChars = 0;
  }

  #write(level: LogrusLevel, obj: object | string, msg?: string): void {
    const s = this.#sink;
    if (LOGRUS_LEVEL_ORDER[level] < LOGRUS_LEVEL_ORDER[s.level]) return;
    const plain = typeof obj === "string";
    const pieces = (this.#pieces ??= fieldPieces(this.#fields));
    const fields = plain ? (this.#formatted ??= joinPieces(pieces)) : mergeFields(pieces, obj as Record<string, unknown>);
    const line = logrusLine(new Date(), level, plain ? obj : (msg ?? ""), fields);
    s.pending.push(line);
    if ((s.pendingChars += line.length) >= WRITE_CHUNK_CHARS) this.flush();
  }
}

export class RestoreLogFile {
  readonly logger: Logger;
  readonly #dir: string;
  readonly #file: string;
  readonly #out: WriteStream;
  #closed = false;

  readonly #text: LogrusFileLogger | undefined;

  private constructor(dir: string, bindings: Record<string, unknown>, level: LogLevel, format: "text" | "json") {
    this.#dir = dir;
    this.#file = path.join(dir, "restore.log");
    this.#out = createWriteStream(this.#file, { mode: 0o600 });
    if (format === "json") {
      this.logger = createLogger({ level, format, destination: this.#out }).child(bindings);
    } else {
      this.#text = new LogrusFileLogger({ out: this.#out, level: logrusLevel(level), pending: [], pendingChars: 0 }, bindings);
      this.logger = this.#text;
    }
  }

  static async create(bindings: Record<string, unknown>, options: { level?: LogLevel; format?: "text" | "json"; tempDir?: string } = {}): Promise<RestoreLogFile> {
    const dir = await mkdtemp(path.join(options.tempDir ?? tmpdir(), "velero-restore-log-"));
    return new RestoreLogFile(dir, bindings, options.level ?? "info", options.format ?? "text");
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
