/**
 * Keeps the plugin's memory bounded while object bodies stream through it.
 *
 * Every byte of an object passes through short-lived Buffers (gRPC messages of 16 KiB, HTTP
 * chunks, multipart parts). V8 frees a dead Buffer's memory only when it collects the tiny JS
 * object that owns it, and it schedules that collection by the size of its own heap, which these
 * objects hardly grow; only after about 64 MiB of external allocations does it step in. For a
 * long transfer that means tens of MiB of dead buffers at any time, which the allocator then keeps.
 * So long transfers ask for a collection every few MiB instead. It is a full one because
 * buffers alive at a scavenge are promoted out of the young generation. It costs CPU (a 300 MiB
 * round trip takes noticeably longer), which is the price of the memory bound. When the collector
 * cannot be reached this is a no-op.
 */
import { Transform, type Readable } from "node:stream";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * Bytes moved between two collections. Measured on the 300 MiB round trip (plugin VmHWM): no pacing
 * 170–200 MiB, every 8 MiB ~160, 4 MiB 140–148, 2 MiB ~133. Young-generation collections do not
 * help: buffers alive at a scavenge get promoted and then wait for a full collection anyway.
 */
export const COLLECT_EVERY_BYTES = 2 * 1024 * 1024;

type Collect = () => void;
let collector: Collect | undefined;

function collect(): Collect {
  if (collector) return collector;
  try {
    // Reaches V8's gc() although the process was not started with --expose-gc (the SEA binary
    // takes no V8 flags); Node documents v8.setFlagsFromString for exactly this kind of use.
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as (options?: { type: "minor" | "major" }) => void;
    collector = () => gc({ type: "major" });
  } catch {
    collector = () => undefined;
  }
  return collector;
}

/** Counts bytes and triggers a collection every `everyBytes`. */
export class GarbagePacer {
  readonly #everyBytes: number;
  readonly #collect: Collect;
  #pending = 0;
  collections = 0;

  constructor(everyBytes = COLLECT_EVERY_BYTES, collectFn: Collect = collect()) {
    this.#everyBytes = everyBytes;
    this.#collect = collectFn;
  }

  add(bytes: number): void {
    this.#pending += bytes;
    if (this.#pending < this.#everyBytes) return;
    this.#pending %= this.#everyBytes;
    this.collections++;
    this.#collect();
  }
}

/**
 * The same bytes as `source` (no copies), pacing collections as they flow. Errors and
 * backpressure propagate in both directions.
 */
export function paced(source: Readable, pacer: GarbagePacer = new GarbagePacer()): Readable {
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      pacer.add(chunk.length);
      callback(null, chunk);
    },
  });
  source.on("error", (error) => counter.destroy(error));
  counter.on("close", () => {
    if (!source.destroyed && !source.readableEnded) source.destroy();
  });
  return source.pipe(counter);
}
