/**
 * JavaScript stack traces as Velero's error stack frames (the status details a plugin's error
 * carries, and a logged error's source). Free of gRPC, so the logger can use it without loading it.
 */
import type { RemoteStackFrame } from "../contract/errors.js";

/** At most this many frames are kept. */
const MAX_FRAMES = 32;

const V8_FRAME = /^\s*at (?:(.+?) \()?(.+?):(\d+):\d+\)?$/;

/** Parses V8 stack lines ("at fn (file:line:col)" / "at file:line:col") into frames. */
export function parseJsStack(stack: string): RemoteStackFrame[] {
  const frames: RemoteStackFrame[] = [];
  for (const line of stack.split("\n")) {
    const m = V8_FRAME.exec(line);
    if (!m) continue;
    const file = (m[2] ?? "").replace(/^file:\/\//, "");
    frames.push({ file, line: Number(m[3]), function: m[1] ?? "<anonymous>" });
    if (frames.length >= MAX_FRAMES) break;
  }
  return frames;
}
