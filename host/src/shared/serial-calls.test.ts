import { describe, expect, it } from "vitest";
import { SerialCalls } from "./serial-calls.js";

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("SerialCalls", () => {
  it("never overlaps two calls, and runs them in call order", async () => {
    const serial = new SerialCalls();
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const work = async (n: number): Promise<number> => {
      running++;
      most = Math.max(most, running);
      await tick(5 - n);
      order.push(n);
      running--;
      return n * 10;
    };
    const results = await Promise.all([0, 1, 2, 3, 4].map((n) => serial.run(() => work(n))));
    expect(results).toEqual([0, 10, 20, 30, 40]);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(1);
  });

  it("a failed call fails only its caller; the next call still runs", async () => {
    const serial = new SerialCalls();
    const failed = serial.run(async () => {
      throw new Error("boom");
    });
    const next = serial.run(async () => "ok");
    await expect(failed).rejects.toThrow("boom");
    await expect(next).resolves.toBe("ok");
  });

  it("wrap() queues every method call of the object, with its `this`", async () => {
    const serial = new SerialCalls();
    let running = 0;
    let most = 0;
    const target = {
      factor: 3,
      async times(n: number): Promise<number> {
        running++;
        most = Math.max(most, running);
        await tick(2);
        running--;
        return n * this.factor;
      },
    };
    const wrapped = serial.wrap(target);
    expect(await Promise.all([1, 2, 3].map((n) => wrapped.times(n)))).toEqual([3, 6, 9]);
    expect(most).toBe(1);
    expect(wrapped.factor).toBe(3);
  });
});
