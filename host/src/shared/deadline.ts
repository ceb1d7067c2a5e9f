/**
 * A promise raced against a deadline: rejects with `onTimeout()`'s error when `promise` has not
 * settled within `ms`. The work itself is not cancelled: its late outcome is dropped (never an
 * unhandled rejection). The timer does not keep the process alive.
 */
export async function withDeadline<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  promise.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(onTimeout()), ms);
        timer.unref();
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
