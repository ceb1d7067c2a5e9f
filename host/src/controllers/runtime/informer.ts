/**
 * List-then-watch cache of one resource. Keeps a local copy of every object, re-establishes the
 * watch from the last resourceVersion when the server closes it, re-lists on 410 Gone, and backs
 * off on errors. Handlers receive every add/update/delete (and a synthetic add per object after
 * each (re)list, so nothing is missed across gaps).
 */
import { getErrorMessage, type UnstructuredItem } from "@velero-ts/plugin-sdk";
import type { GroupVersionResource, KubeClient } from "../../kube/client.js";
import { isForbidden, isGone } from "../../kube/errors.js";
import type { Clock, TimerHandle } from "../../shared/clock.js";
import type { Logger } from "../../shared/logging.js";
import type { ObjectKey } from "./types.js";
import { backoffDelay } from "./work-queue.js";

export type InformerEvent = { type: "added" | "updated" | "deleted"; key: ObjectKey; object: UnstructuredItem };
export type InformerHandler = (event: InformerEvent) => void;

export interface InformerOptions {
  client: KubeClient;
  gvr: GroupVersionResource;
  namespace?: string;
  labelSelector?: string;
  clock: Clock;
  logger: Logger;
  /**
   * Delay before retrying after a failed list/watch (default 1 s), doubled after each failure in
   * a row up to MAX_RETRY_MS, as client-go's reflector backs off.
   */
  retryMs?: number;
}

/** The longest wait between list/watch attempts that keep failing (client-go's reflector: 30 s). */
export const MAX_RETRY_MS = 30_000;
/**
 * A watch the server ends within this long without a single event is "very short" (client-go's
 * reflector): watching again is delayed, from SHORT_WATCH_DELAY_MS doubling up to MAX_RETRY_MS,
 * so a proxy that answers and closes every watch at once cannot make the server spin.
 */
export const SHORT_WATCH_MS = 1_000;
export const SHORT_WATCH_DELAY_MS = 800;

export function keyOf(object: { metadata: { name?: string; namespace?: string } }): ObjectKey {
  const ns = object.metadata.namespace;
  return ns ? `${ns}/${object.metadata.name ?? ""}` : (object.metadata.name ?? "");
}

export class Informer {
  readonly #opts: InformerOptions;
  readonly #cache = new Map<ObjectKey, UnstructuredItem>();
  readonly #handlers = new Set<InformerHandler>();
  #resourceVersion = "";
  #stopped = true;
  #stopWatch: (() => void) | undefined;
  #retry: TimerHandle | undefined;
  /** list/watch failures in a row (the backoff's exponent). */
  #failures = 0;
  /** Very short watches in a row (their delay's exponent). */
  #shortWatches = 0;
  #synced: Promise<void>;
  #markSynced!: () => void;
  #listed = false;

  constructor(options: InformerOptions) {
    this.#opts = options;
    this.#synced = new Promise((r) => (this.#markSynced = r));
  }

  get gvr(): GroupVersionResource {
    return this.#opts.gvr;
  }

  /** Resolves after the first successful list. */
  hasSynced(): Promise<void> {
    return this.#synced;
  }

  /** Whether the first list has succeeded (the cache then holds every object, as of the watch). */
  get synced(): boolean {
    return this.#listed;
  }

  addHandler(handler: InformerHandler): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  get(key: ObjectKey): UnstructuredItem | undefined {
    const o = this.#cache.get(key);
    return o ? structuredClone(o) : undefined;
  }

  /** The cached object itself, not a copy: for reading only (event predicates). */
  peek(key: ObjectKey): UnstructuredItem | undefined {
    return this.#cache.get(key);
  }

  keys(): ObjectKey[] {
    return [...this.#cache.keys()];
  }

  list(): UnstructuredItem[] {
    return [...this.#cache.values()].map((o) => structuredClone(o));
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    void this.#listAndWatch();
  }

  stop(): void {
    this.#stopped = true;
    this.#retry?.cancel();
    this.#stopWatch?.();
  }

  async #listAndWatch(): Promise<void> {
    const { client, gvr, namespace, labelSelector, logger } = this.#opts;
    try {
      const { items, resourceVersion } = await client.list(gvr, { namespace, labelSelector });
      if (this.#stopped) return;
      this.#replace(items);
      this.#resourceVersion = resourceVersion;
      this.#failures = 0;
      this.#listed = true;
      this.#markSynced();
      await this.#watchLoop();
    } catch (err) {
      if (this.#stopped) return;
      const delayMs = backoffDelay(this.#failures, { baseMs: this.#opts.retryMs ?? 1000, maxMs: MAX_RETRY_MS });
      this.#failures++;
      const fields = { err: getErrorMessage(err), resource: gvr.resource, retryInMs: delayMs };
      if (isForbidden(err)) {
        // The server's identity lacks RBAC: say how to give it, not only that it failed.
        logger.warn(fields, `list/watch of ${gvr.resource} refused by the API server's RBAC; retrying. Bind the server's identity to a role that may list and watch it (velero install binds its ServiceAccount "velero" to cluster-admin)`);
      } else {
        logger.warn(fields, "list/watch failed; retrying");
      }
      this.#retry = this.#opts.clock.setTimeout(() => void this.#listAndWatch(), delayMs);
    }
  }

  async #watchLoop(): Promise<void> {
    const { client, gvr, namespace, labelSelector, clock } = this.#opts;
    while (!this.#stopped) {
      const started = clock.now().getTime();
      let events = 0;
      const handle = await client.watch(gvr, { namespace, labelSelector, resourceVersion: this.#resourceVersion }, (event) => {
        events++;
        const rv = event.object.metadata.resourceVersion;
        if (rv) this.#resourceVersion = rv;
        if (event.type === "BOOKMARK") return;
        const key = keyOf(event.object);
        if (event.type === "DELETED") {
          this.#cache.delete(key);
          this.#emit({ type: "deleted", key, object: event.object });
        } else {
          const existed = this.#cache.has(key);
          this.#cache.set(key, event.object);
          this.#emit({ type: existed ? "updated" : "added", key, object: event.object });
        }
      });
      this.#stopWatch = () => handle.stop();
      if (this.#stopped) handle.stop();
      try {
        await handle.done;
      } catch (err) {
        if (isGone(err)) {
          // Our resourceVersion is too old: start over with a fresh list.
          if (!this.#stopped) void this.#listAndWatch();
          return;
        }
        throw err;
      }
      // stopped (the server shutting down): the watch ended because it was asked to
      if (this.#stopped) return;
      const lastedMs = clock.now().getTime() - started;
      if (events > 0 || lastedMs >= SHORT_WATCH_MS) {
        this.#shortWatches = 0;
        continue;
      }
      const delayMs = backoffDelay(this.#shortWatches, { baseMs: SHORT_WATCH_DELAY_MS, maxMs: MAX_RETRY_MS });
      this.#shortWatches++;
      this.#opts.logger.warn({ resource: gvr.resource, lastedMs, retryInMs: delayMs }, "the API server ended the watch at once without any event; watching again after a delay");
      await new Promise<void>((resolve) => (this.#retry = clock.setTimeout(resolve, delayMs)));
    }
  }

  #replace(items: UnstructuredItem[]): void {
    const seen = new Set<ObjectKey>();
    for (const item of items) {
      const key = keyOf(item);
      seen.add(key);
      const cached = this.#cache.get(key);
      this.#cache.set(key, item);
      // after a re-list, an object whose resourceVersion did not change is not an update (as client-go's
      // informers do not hand one on): every controller would otherwise look at every object again
      if (cached && cached.metadata.resourceVersion !== undefined && cached.metadata.resourceVersion === item.metadata.resourceVersion) continue;
      this.#emit({ type: cached ? "updated" : "added", key, object: item });
    }
    for (const [key, object] of this.#cache) {
      if (!seen.has(key)) {
        this.#cache.delete(key);
        this.#emit({ type: "deleted", key, object });
      }
    }
  }

  #emit(event: InformerEvent): void {
    for (const h of this.#handlers) {
      try {
        h(event);
      } catch (err) {
        this.#opts.logger.error({ err: String(err) }, "informer handler failed");
      }
    }
  }
}

/**
 * A namespace's objects as a resource's watch cache holds them, once it has listed them: for a
 * reconciler to read instead of a LIST, as Velero's controllers read their informers. The cached
 * objects themselves (read only), not copies; undefined for a namespace the informer does not
 * watch (the caller LISTs then).
 */
export type CachedList = (namespace: string) => Promise<readonly UnstructuredItem[] | undefined>;

export function cachedListOf(informer: Informer, informerNamespace: string | undefined): CachedList {
  return async (namespace) => {
    if (informerNamespace !== undefined && namespace !== informerNamespace) return undefined;
    await informer.hasSynced();
    const out: UnstructuredItem[] = [];
    for (const key of informer.keys()) {
      const object = informer.peek(key);
      if (object && object.metadata.namespace === namespace) out.push(object);
    }
    return out;
  };
}

/**
 * A namespace's object from the watch cache, as a copy, when the cache holds one that `usable`
 * accepts; otherwise read afresh (a GET). A cache that has not seen the object yet, or whose copy
 * would have the caller refuse or skip work, never decides alone.
 */
export async function cachedOrGet(
  client: KubeClient,
  cached: CachedList | undefined,
  gvr: GroupVersionResource,
  name: string,
  namespace: string,
  usable: (object: UnstructuredItem) => boolean = () => true,
): Promise<UnstructuredItem | undefined> {
  const hit = (await cached?.(namespace))?.find((o) => o.metadata.name === name);
  if (hit && usable(hit)) return structuredClone(hit);
  return client.get(gvr, name, namespace);
}
