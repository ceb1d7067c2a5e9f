/**
 * List-then-watch cache of one resource. Keeps a local copy of every object, re-establishes the
 * watch from the last resourceVersion when the server closes it, re-lists on 410 Gone, and backs
 * off on errors. Handlers receive every add/update/delete (and a synthetic add per object after
 * each (re)list, so nothing is missed across gaps).
 */
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import type { GroupVersionResource, KubeClient } from "../../kube/client.js";
import { isGone } from "../../kube/errors.js";
import type { Clock, TimerHandle } from "../../shared/clock.js";
import type { Logger } from "../../shared/logging.js";
import type { ObjectKey } from "./types.js";

export type InformerEvent = { type: "added" | "updated" | "deleted"; key: ObjectKey; object: UnstructuredItem };
export type InformerHandler = (event: InformerEvent) => void;

export interface InformerOptions {
  client: KubeClient;
  gvr: GroupVersionResource;
  namespace?: string;
  labelSelector?: string;
  clock: Clock;
  logger: Logger;
  /** Delay before retrying after a failed list/watch. */
  retryMs?: number;
}

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
  #synced: Promise<void>;
  #markSynced!: () => void;

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

  addHandler(handler: InformerHandler): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  get(key: ObjectKey): UnstructuredItem | undefined {
    const o = this.#cache.get(key);
    return o ? structuredClone(o) : undefined;
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
      this.#markSynced();
      await this.#watchLoop();
    } catch (err) {
      if (this.#stopped) return;
      logger.warn({ err: String(err), resource: gvr.resource }, "list/watch failed; retrying");
      this.#retry = this.#opts.clock.setTimeout(() => void this.#listAndWatch(), this.#opts.retryMs ?? 1000);
    }
  }

  async #watchLoop(): Promise<void> {
    const { client, gvr, namespace, labelSelector } = this.#opts;
    while (!this.#stopped) {
      const handle = await client.watch(gvr, { namespace, labelSelector, resourceVersion: this.#resourceVersion }, (event) => {
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
    }
  }

  #replace(items: UnstructuredItem[]): void {
    const seen = new Set<ObjectKey>();
    for (const item of items) {
      const key = keyOf(item);
      seen.add(key);
      const existed = this.#cache.has(key);
      this.#cache.set(key, item);
      this.#emit({ type: existed ? "updated" : "added", key, object: item });
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
