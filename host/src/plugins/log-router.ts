/**
 * Routes a plugin process's log lines to the loggers of the backups and restores whose calls it
 * is serving, besides the server log. Velero starts plugin processes per backup with the backup's
 * logger, so what a plugin logs lands in `velero backup logs` (and its warnings and errors count);
 * our plugin processes are shared and long-lived, so each call attaches its caller's logger for
 * its duration plus a short grace period (stderr lines may be read after the call's reply). While
 * two operations' calls overlap on one process, a line goes to the one whose call began last.
 */
import type { Logger } from "../shared/logging.js";

/** How long a caller's logger stays attached after its call returned (late stderr lines). */
export const LOG_ATTACH_GRACE_MS = 250;

export type PluginLogLevel = "trace" | "debug" | "info" | "warn" | "error";

export interface AttachOptions {
  /** The logger writes every line to the server log as well (a backup's log does, as Velero's). */
  echoesToServerLog?: boolean;
}

export class PluginLogRouter {
  /** Attached loggers → how many calls hold them, and whether they echo to the server log. */
  readonly #attached = new Map<Logger, { count: number; echoes: boolean }>();
  readonly #graceMs: number;

  constructor(graceMs = LOG_ATTACH_GRACE_MS) {
    this.#graceMs = graceMs;
  }

  /** Attaches `logger` until the returned release() is called (plus the grace period); counted, so nested calls are fine. */
  attach(logger: Logger, options: AttachOptions = {}): () => void {
    const held = this.#attached.get(logger);
    // (re-inserted: the map's last entry is the logger whose call began last)
    this.#attached.delete(logger);
    if (held) held.count++;
    this.#attached.set(logger, held ?? { count: 1, echoes: options.echoesToServerLog === true });
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const timer = setTimeout(() => {
        const entry = this.#attached.get(logger);
        if (entry && --entry.count <= 0) this.#attached.delete(logger);
      }, this.#graceMs);
      timer.unref?.();
    };
  }

  /** Loggers attached now. */
  get size(): number {
    return this.#attached.size;
  }

  /**
   * Writes the line to one attached logger, the one whose call into the process began last (a
   * plugin logs while serving a call, or just after it), never to several: one operation's line
   * must not land in another's log. True when that logger echoes it to the server log (so the
   * caller need not).
   */
  emit(level: PluginLogLevel, fields: Record<string, unknown>, message: string): boolean {
    let last: [Logger, { echoes: boolean }] | undefined;
    for (const entry of this.#attached) last = entry;
    if (!last) return false;
    last[0][level](fields, message);
    return last[1].echoes;
  }
}

/**
 * `plugin` with every method call attaching `logger` to `router` while it runs (a call returning a
 * promise releases when it settles). Properties that are not functions pass through.
 */
export function withCallLogger<T extends object>(plugin: T, router: PluginLogRouter, logger: Logger, options: AttachOptions = {}): T {
  return new Proxy(plugin, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]): unknown => {
        const release = router.attach(logger, options);
        let result: unknown;
        try {
          result = (value as (...a: unknown[]) => unknown).apply(target, args);
        } catch (error) {
          release();
          throw error;
        }
        if (result instanceof Promise) return result.finally(release);
        release();
        return result;
      };
    },
  });
}
