import { setImmediate as nextTurn } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import type { ListPage } from "../kube/client.js";
import { ListWindow } from "./list-window.js";

/** `lists` LISTs of `pages` pages each; `fail(list, page)` throws instead of producing that page. Counts pages produced and lists closed. */
function instrumented(lists: number, pages: number, fail: (list: number, page: number) => Error | undefined = () => undefined) {
  const state = { produced: 0, closed: [] as number[], started: [] as number[] };
  const calls = Array.from({ length: lists }, (_, l) => () =>
    (async function* (): AsyncGenerator<ListPage> {
      state.started.push(l);
      try {
        for (let p = 0; p < pages; p++) {
          await nextTurn(); // a request's round trip
          const error = fail(l, p);
          if (error) throw error;
          state.produced++;
          yield { items: [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `${l}.${p}` } } as UnstructuredItem], resourceVersion: "1" };
        }
      } finally {
        state.closed.push(l);
      }
    })(),
  );
  return { calls, state };
}

const name = (page: ListPage): string => page.items[0]?.metadata.name ?? "";

describe("ListWindow", () => {
  it("hands over every page of every LIST in order", async () => {
    const { calls } = instrumented(6, 3);
    const window = new ListWindow(calls, 4);
    const seen: string[] = [];
    for (let l = 0; l < 6; l++) for await (const page of window.pages(l)) seen.push(name(page));
    expect(seen).toEqual(Array.from({ length: 18 }, (_, i) => `${Math.floor(i / 3)}.${i % 3}`));
  });

  it("reads ahead while the consumer works, but holds at most `window` pages it has not handed over", async () => {
    const { calls, state } = instrumented(10, 5);
    const window = new ListWindow(calls, 4);
    let consumed = 0;
    let maxAhead = 0;
    let readyBeforeTaken = 0;
    for (let l = 0; l < 10; l++) {
      const ahead = state.produced - consumed;
      for await (const page of window.pages(l)) {
        expect(name(page)).toMatch(new RegExp(`^${l}\\.`));
        consumed++;
        // the consumer's own work on the page: several turns of the event loop
        for (let t = 0; t < 6; t++) await nextTurn();
        maxAhead = Math.max(maxAhead, state.produced - consumed);
      }
      if (l > 0 && ahead > 0) readyBeforeTaken++;
    }
    expect(consumed).toBe(50);
    expect(maxAhead).toBeGreaterThan(1); // later LISTs were served meanwhile
    expect(maxAhead).toBeLessThanOrEqual(4);
    expect(readyBeforeTaken).toBeGreaterThan(5); // most LISTs had a page waiting when taken
    expect(window.openedCount).toBe(10);
  });

  it("opens no LIST beyond the window before the ones before it are consumed", async () => {
    const { calls, state } = instrumented(10, 2);
    const window = new ListWindow(calls, 3);
    for (let t = 0; t < 20; t++) await nextTurn();
    expect(window.openedCount).toBe(3);
    expect(state.started).toEqual([0, 1, 2]);
    for await (const page of window.pages(0)) expect(name(page)).toMatch(/^0\./);
    for (let t = 0; t < 20; t++) await nextTurn();
    expect(state.started).toEqual([0, 1, 2, 3]);
  });

  it("opens light LISTs beyond the window, up to maxOpen in all; one that is not light waits for the window", async () => {
    const { calls, state } = instrumented(20, 1);
    // LISTs 5 and 12 are not light (unknown or large): neither may open outside the window
    const window = new ListWindow(calls, 3, { light: (i) => i !== 5 && i !== 12, maxOpen: 8 });
    for (let t = 0; t < 20; t++) await nextTurn();
    expect(state.started).toEqual([0, 1, 2, 3, 4]);
    for await (const page of window.pages(0)) expect(name(page)).toBe("0.0");
    for await (const page of window.pages(1)) expect(name(page)).toBe("1.0");
    for await (const page of window.pages(2)) expect(name(page)).toBe("2.0");
    for (let t = 0; t < 20; t++) await nextTurn();
    // 5 is within the window now (3..5), and the light ones after it up to maxOpen (3..10)
    expect(state.started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const seen: string[] = [];
    for (let l = 3; l < 20; l++) for await (const page of window.pages(l)) seen.push(name(page));
    expect(seen).toEqual(Array.from({ length: 17 }, (_, i) => `${i + 3}.0`));
  });

  it("reports a LIST's failure when it is taken, after the pages it did produce; the LISTs after it go on", async () => {
    const { calls } = instrumented(4, 3, (l, p) => (l === 1 && p === 1 ? new Error("list 1 page 1 refused") : l === 2 && p === 0 ? new Error("list 2 refused") : undefined));
    const window = new ListWindow(calls, 2);
    const seen: string[] = [];
    const errors: string[] = [];
    for (let l = 0; l < 4; l++) {
      try {
        for await (const page of window.pages(l)) seen.push(name(page));
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
    expect(seen).toEqual(["0.0", "0.1", "0.2", "1.0", "3.0", "3.1", "3.2"]);
    expect(errors).toEqual(["list 1 page 1 refused", "list 2 refused"]);
  });

  it("closes LISTs that are skipped or left before their end", async () => {
    const { calls, state } = instrumented(5, 3);
    const window = new ListWindow(calls, 3);
    for await (const page of window.pages(2)) {
      expect(name(page)).toBe("2.0");
      break;
    }
    for (let t = 0; t < 10; t++) await nextTurn();
    expect(state.closed.sort()).toEqual([0, 1, 2]);
  });
});
