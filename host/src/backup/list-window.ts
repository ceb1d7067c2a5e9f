/**
 * The LISTs of a backup, consumed in order and a page at a time, with at most `window` of them
 * open at once. An open LIST has its first page asked for at once, and the LIST being consumed
 * has its next page asked for while the current one is backed up, so the API server serves
 * LISTs while this process backs up items; a LIST opens only when one before it has been
 * consumed, so at most `window` pages are held ahead of the one being backed up, however large
 * the cluster (never whole resources fetched ahead of the backup).
 *
 * Light LISTs (`light`: known to hold little, most of a namespace's resource types hold nothing)
 * may open beyond the window, up to `maxOpen` in all: a backup of a small namespace makes some
 * forty LISTs that are each a round trip and nearly no data, and the window would otherwise
 * have them wait for each other. A LIST that is not light still opens only within the window.
 */
import type { ListPage } from "../kube/client.js";

interface Opened {
  iterator: AsyncIterator<ListPage>;
  /** The iterator's next result, asked for in advance. */
  next: Promise<IteratorResult<ListPage>>;
}

export class ListWindow {
  readonly #lists: readonly (() => AsyncIterable<ListPage>)[];
  readonly #window: number;
  readonly #maxOpen: number;
  readonly #light: (index: number) => boolean;
  readonly #open = new Map<number, Opened>();
  #opened = 0;

  constructor(lists: readonly (() => AsyncIterable<ListPage>)[], window: number, options: { light?: (index: number) => boolean; maxOpen?: number } = {}) {
    this.#lists = lists;
    this.#window = Math.max(1, window);
    this.#maxOpen = Math.max(this.#window, options.maxOpen ?? this.#window);
    this.#light = options.light ?? (() => false);
    this.#fill(0);
  }

  /** LISTs opened so far (for tests: the window's bound). */
  get openedCount(): number {
    return this.#opened;
  }

  /**
   * The pages of LIST `index`, to be read to the end (or to its error) before the next LIST is
   * taken; LISTs before `index` that were never taken are closed.
   */
  async *pages(index: number): AsyncGenerator<ListPage> {
    for (const [i, opened] of this.#open) if (i < index) this.#close(i, opened);
    this.#fill(index);
    const opened = this.#open.get(index);
    if (!opened) return;
    let done = false;
    try {
      for (;;) {
        const result = await opened.next;
        if (result.done) {
          done = true;
          return;
        }
        // read ahead: the LIST's next page is asked for while this one is consumed
        opened.next = opened.iterator.next();
        opened.next.catch(() => undefined);
        yield result.value;
      }
    } finally {
      if (done) this.#open.delete(index);
      else this.#close(index, opened);
      this.#fill(index + 1);
    }
  }

  /** Opens the LISTs from `from` up to the window's end, and the light ones after it up to maxOpen. */
  #fill(from: number): void {
    while (this.#opened < this.#lists.length && this.#opened < from + this.#maxOpen) {
      if (this.#opened >= from + this.#window && !this.#light(this.#opened)) break;
      const index = this.#opened++;
      const list = this.#lists[index] as () => AsyncIterable<ListPage>;
      let iterator: AsyncIterator<ListPage>;
      let next: Promise<IteratorResult<ListPage>>;
      try {
        iterator = list()[Symbol.asyncIterator]();
        next = iterator.next();
      } catch (err) {
        iterator = { next: () => Promise.reject(err) };
        next = Promise.reject(err);
      }
      // a LIST that fails before it is taken is reported when it is taken
      next.catch(() => undefined);
      this.#open.set(index, { iterator, next });
    }
  }

  #close(index: number, opened: Opened): void {
    this.#open.delete(index);
    opened.iterator.return?.()?.catch(() => undefined);
  }
}
