/**
 * Waiting for one object to change, the way the CLI waits for the server to act on what it created
 * (a Backup or Restore to end, a DownloadRequest's URL, a ServerStatusRequest's answer): the waiting
 * loop reads the object, then waits on next(), which resolves as soon as a watch on the object
 * reports a change, or after the loop's period at the latest. Reads stay the source of truth; the
 * watch only ends each wait early.
 */
import type { GroupVersionResource, KubeClient, WatchEvent, WatchHandle } from "../kube/client.js";

/**
 * Wakes a waiting loop when the object changes: a watch on it by name. A watch the API server
 * ends (it closes watches after some minutes) is opened again at the next look; one that cannot be
 * opened (no watch permission, say) leaves the loop to its periodic reads.
 */
export class ObjectChanges {
  readonly #kube: KubeClient;
  readonly #gvr: GroupVersionResource;
  readonly #namespace: string;
  readonly #name: string;
  #handle: WatchHandle | undefined;
  #opening = false;
  #closed = false;
  /** A change arrived since the loop last looked. */
  #changed = false;
  #wake: (() => void) | undefined;

  constructor(kube: KubeClient, gvr: GroupVersionResource, namespace: string, name: string) {
    this.#kube = kube;
    this.#gvr = gvr;
    this.#namespace = namespace;
    this.#name = name;
  }

  /**
   * Opens the watch unless one is open or opening; called before each read. The loop does not wait
   * for it: a watch starts by reporting the object as it is then, so a change made while it opens
   * still wakes the loop, and a watch that is slow to open costs nothing but that early wake.
   */
  ensure(): void {
    if (this.#handle || this.#opening || this.#closed) return;
    this.#opening = true;
    const name = this.#name;
    const onEvent = (event: WatchEvent): void => {
      if (event.type === "BOOKMARK" || event.object.metadata.name !== name) return;
      this.#changed = true;
      this.#wake?.();
    };
    this.#kube.watch(this.#gvr, { namespace: this.#namespace, fieldSelector: `metadata.name=${name}` }, onEvent).then(
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
      () => {
        this.#opening = false; // the loop reads at its period instead; its next look tries again
      },
    );
  }

  /** Resolves when the object has changed since the last call, or after `ms`. */
  async next(ms: number, sleep: (ms: number, signal?: AbortSignal) => Promise<void>): Promise<void> {
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
