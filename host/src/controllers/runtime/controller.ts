/**
 * Runs one Reconciler: informer events enqueue keys; `concurrency` workers take keys from the
 * queue (never the same key twice at once) and reconcile; a thrown error requeues with
 * exponential backoff, `{kind: "requeue"}` requeues after the given delay; resyncPeriodMs
 * re-enqueues every cached key periodically.
 */
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import type { Clock, TimerHandle } from "../../shared/clock.js";
import type { Logger } from "../../shared/logging.js";
import type { Informer } from "./informer.js";
import type { ObjectKey, ReconcileResult, Reconciler } from "./types.js";
import { WorkQueue, type BackoffOptions } from "./work-queue.js";

export type ReconcileOutcome = "done" | "requeue" | "error";

/** Hooks for metrics (reconcile counts and durations per controller). */
export interface ControllerMetrics {
  reconciled(controller: string, outcome: ReconcileOutcome, durationMs: number): void;
  queueDepth?(controller: string, depth: number): void;
}

export interface ControllerOptions {
  informer: Informer;
  clock: Clock;
  logger: Logger;
  concurrency?: number;
  backoff?: BackoffOptions;
  metrics?: ControllerMetrics;
}

export class Controller {
  readonly reconciler: Reconciler;
  readonly queue: WorkQueue<ObjectKey>;
  readonly #opts: ControllerOptions;
  readonly #log: Logger;
  #workers: Promise<void>[] = [];
  #unsubscribe: (() => void) | undefined;
  #resync: TimerHandle | undefined;
  #running = false;
  #idleWaiters: (() => void)[] = [];

  constructor(reconciler: Reconciler, options: ControllerOptions) {
    this.reconciler = reconciler;
    this.#opts = options;
    this.queue = new WorkQueue<ObjectKey>(options.clock, options.backoff);
    this.#log = options.logger.child({ controller: reconciler.name });
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    const events = this.reconciler.watchEvents;
    this.#unsubscribe = this.#opts.informer.addHandler((event) => {
      if (events && !events.includes(event.type)) return;
      if (event.type !== "deleted" && !this.#wants(event.object, event.key)) return;
      this.queue.add(event.key);
    });
    this.#addCached();
    const n = Math.max(1, this.#opts.concurrency ?? 1);
    for (let i = 0; i < n; i++) this.#workers.push(this.#worker());
    this.#scheduleResync();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#unsubscribe?.();
    this.#resync?.cancel();
    this.queue.shutdown();
    await Promise.all(this.#workers);
    this.#workers = [];
  }

  /** Enqueues a key by hand (e.g. from another controller). */
  enqueue(key: ObjectKey): void {
    this.queue.add(key);
  }

  /** Resolves when the queue is empty and no reconcile runs (tests). */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((r) => this.#idleWaiters.push(r));
  }

  #isIdle(): boolean {
    return this.queue.length === 0 && this.queue.processingCount === 0;
  }

  #scheduleResync(): void {
    const period = this.reconciler.resyncPeriodMs;
    if (!period || !this.#running) return;
    this.#resync = this.#opts.clock.setTimeout(() => {
      this.#addCached();
      this.#scheduleResync();
    }, period);
  }

  /** Enqueues every cached object the reconciler wants. */
  #addCached(): void {
    const informer = this.#opts.informer;
    for (const key of informer.keys()) {
      const object = informer.peek(key);
      if (!object || this.#wants(object, key)) this.queue.add(key);
    }
  }

  #wants(object: UnstructuredItem, key: ObjectKey): boolean {
    if (!this.reconciler.wants) return true;
    try {
      return this.reconciler.wants(object, key);
    } catch {
      // a malformed object: let the reconciler look at it (it reads the object afresh)
      return true;
    }
  }

  async #worker(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const started = Date.now();
      let outcome: ReconcileOutcome = "done";
      try {
        const informer = this.#opts.informer;
        const cached = informer.synced ? informer.peek(key) : undefined;
        if (informer.synced && !cached) {
          // deleted (as the watch says): nothing to read afresh, nothing to act on
          this.reconciler.forget?.(key);
          this.queue.forget(key);
          continue;
        }
        const result: ReconcileResult = await this.reconciler.reconcile(key, cached);
        this.queue.forget(key);
        if (result.kind === "requeue") {
          outcome = "requeue";
          this.queue.addAfter(key, result.afterMs);
        }
      } catch (err) {
        outcome = "error";
        const delay = this.queue.addRateLimited(key);
        this.#log.warn({ err: err instanceof Error ? err.message : String(err), name: key, retryInMs: delay }, "reconcile failed; requeued");
      } finally {
        this.queue.done(key);
        this.#opts.metrics?.reconciled(this.reconciler.name, outcome, Date.now() - started);
        this.#opts.metrics?.queueDepth?.(this.reconciler.name, this.queue.length);
        if (this.#isIdle()) {
          const waiters = this.#idleWaiters;
          this.#idleWaiters = [];
          for (const w of waiters) w();
        }
      }
    }
  }
}
