/**
 * Waiting for objects to change, the way the CLI waits for the server to act on what it created
 * (a Backup or Restore to end, a DownloadRequest's URL, a ServerStatusRequest's answer, the CRDs
 * `install` created to be Established): until() reads the object, then waits until a watch on it
 * reports a change, or the loop's period at the latest, and reads again. Reads stay the source of
 * truth; the watch only ends each wait early.
 */
import type { GroupVersionResource, KubeClient, WatchEvent, WatchHandle } from "../kube/client.js";
import { KubeApiError } from "../kube/errors.js";

/** The CLI's sleep (CliDeps.sleep): ends after `ms`, or at once when `signal` aborts. */
type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Which objects of a resource a wait is about. */
export interface WatchedObjects {
  /** Unset: a cluster-scoped resource. */
  namespace?: string;
  /** One object by name (the watch asks the API server for that name only). */
  name?: string;
  /** Otherwise those whose name passes (every object of the resource is watched). */
  matches?: (name: string) => boolean;
}

/**
 * Wakes a waiting loop when the object changes: a watch on it by name (or on the resource). A
 * watch the API server ends (it closes watches after some minutes) is opened again at the next
 * look, and so is one that could not be opened for a network error; one the API server refuses
 * (no watch permission, say) is not asked for again, and the loop goes on with its reads alone.
 */
export class ObjectChanges {
  readonly #kube: KubeClient;
  readonly #gvr: GroupVersionResource;
  readonly #objects: WatchedObjects;
  #handle: WatchHandle | undefined;
  #opening = false;
  /** The API server refused the watch: the reads alone serve. */
  #refused = false;
  #closed = false;
  /** A change arrived since the loop last looked. */
  #changed = false;
  #wake: (() => void) | undefined;

  constructor(kube: KubeClient, gvr: GroupVersionResource, objects: WatchedObjects) {
    this.#kube = kube;
    this.#gvr = gvr;
    this.#objects = objects;
  }

  /**
   * Opens the watch unless one is open or opening; called before each read. The loop does not wait
   * for it: a watch starts by reporting the object as it is then, so a change made while it opens
   * still wakes the loop, and a watch that is slow to open costs nothing but that early wake.
   */
  ensure(): void {
    if (this.#handle || this.#opening || this.#refused || this.#closed) return;
    this.#opening = true;
    const { namespace, name, matches } = this.#objects;
    const onEvent = (event: WatchEvent): void => {
      if (event.type === "BOOKMARK") return;
      const changed = event.object.metadata.name;
      if (name !== undefined ? changed !== name : matches !== undefined && !matches(changed)) return;
      this.#changed = true;
      this.#wake?.();
    };
    this.#kube.watch(this.#gvr, { namespace, ...(name !== undefined ? { fieldSelector: `metadata.name=${name}` } : {}) }, onEvent).then(
      (handle) => {
        this.#opening = false;
        if (this.#closed) {
          handle.stop();
          return;
        }
        this.#handle = handle;
        const ended = (): void => {
          if (this.#handle === handle) this.#handle = undefined;
        };
        handle.done.then(ended, ended);
      },
      (error: unknown) => {
        this.#opening = false; // the loop reads at its period instead
        if (error instanceof KubeApiError && error.statusCode >= 400 && error.statusCode < 500) this.#refused = true;
      },
    );
  }

  /**
   * Calls `look` (which reads the object) until it returns something other than undefined: again at
   * once when the watch reports a change, else after `periodMs`. The watch is closed on the way out,
   * with a value or a throw.
   */
  async until<T>(periodMs: number, sleep: Sleep, look: () => Promise<T | undefined>): Promise<T> {
    try {
      for (;;) {
        this.ensure();
        const value = await look();
        if (value !== undefined) return value;
        await this.next(periodMs, sleep);
      }
    } finally {
      this.close();
    }
  }

  /** Resolves when the object has changed since the last call, or after `ms`. */
  async next(ms: number, sleep: Sleep): Promise<void> {
    if (!this.#changed) {
      const timer = new AbortController();
      await Promise.race([new Promise<void>((resolve) => (this.#wake = resolve)), sleep(ms, timer.signal)]);
      timer.abort();
      this.#wake = undefined;
    }
    this.#changed = false;
  }

  close(): void {
    this.#closed = true;
    this.#handle?.stop();
    this.#handle = undefined;
  }
}
