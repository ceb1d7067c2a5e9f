/**
 * One call at a time, in the order they were made. Velero makes its plugin calls of a restore one
 * after another, and plugins written for it may keep unguarded state (a Go map written in Execute
 * dies with "concurrent map writes" when two calls overlap); velero-ts restores items concurrently,
 * so the calls it makes into plugin processes during one restore go through one SerialCalls.
 */
export class SerialCalls {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(call: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(call);
    this.#tail = result.catch(() => undefined);
    return result;
  }

  /** `target` with every method call queued here (methods only; other properties as they are). */
  wrap<T extends object>(target: T): T {
    return new Proxy(target, {
      get: (obj, key, receiver) => {
        const value: unknown = Reflect.get(obj, key, receiver);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => this.run(() => Promise.resolve((value as (...a: unknown[]) => unknown).apply(obj, args)));
      },
    });
  }
}
