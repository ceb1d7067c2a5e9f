import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * Prompt reclamation of the buffers socket reads allocate.
 *
 * A streamed object arrives as one buffer per read. Its memory lives outside V8's heap, and the
 * JS object owning it is tiny, so the young generation rarely fills: dead read buffers pile up
 * until V8's external-memory limit (about 64 MiB above the last collection) forces a full
 * mark-compact. A process receiving a GiB then sits some 70 MiB above what it holds alive. The
 * buffers die young, so a scavenge (minor GC, about 0.1 ms with a small young generation) frees
 * them. The receiving side reports what it allocates and, every RECLAIM_EVERY_BYTES, asks V8 for
 * one. Process-wide: every connection of the process shares one counter, as they share one heap.
 *
 * The `gc` function comes from `--expose-gc`: taken from the global object when the process was
 * started with the flag, otherwise from a fresh vm context after setting the flag (the flag is read
 * when a context is created; the main context's global object is not changed).
 */
export const RECLAIM_EVERY_BYTES = 8 * 1024 * 1024;

type GcFunction = (options?: { type?: "minor" | "major"; execution?: "sync" | "async" }) => void;

let gcFunction: GcFunction | null | undefined;
let allocatedSinceReclaim = 0;
let reclaims = 0;

function obtainGc(): GcFunction | null {
  const existing = (globalThis as { gc?: unknown }).gc;
  if (typeof existing === "function") return existing as GcFunction;
  try {
    setFlagsFromString("--expose-gc");
    const fn: unknown = runInNewContext("gc");
    return typeof fn === "function" ? (fn as GcFunction) : null;
  } catch {
    return null; // an embedder that refuses runtime flags: memory is still reclaimed, only later
  }
}

/** The receiving side allocated `bytes` of read buffers that die when their message is consumed. */
export function noteReceiveBuffers(bytes: number): void {
  allocatedSinceReclaim += bytes;
  if (allocatedSinceReclaim < RECLAIM_EVERY_BYTES) return;
  allocatedSinceReclaim = 0;
  if (gcFunction === undefined) gcFunction = obtainGc();
  if (gcFunction === null) return;
  gcFunction({ type: "minor" });
  reclaims++;
}

/** How many scavenges noteReceiveBuffers() has requested in this process (for tests). */
export function receiveReclaims(): number {
  return reclaims;
}
