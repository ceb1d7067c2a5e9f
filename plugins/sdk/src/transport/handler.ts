/**
 * The server edge: every handler goes through these wrappers, which catch throws, rejections and
 * non-Error values and turn them into a gRPC status (status.ts). In-flight calls are tracked so a
 * crash (uncaughtException / unhandledRejection) can fail them with ABORTED before the process
 * exits, instead of leaving the host waiting.
 */
import * as grpc from "@grpc/grpc-js";
import { toServerStatus, type ServerStatus } from "./status.js";

export class InflightCalls {
  readonly #calls = new Set<(status: ServerStatus) => void>();

  /** Registers a call's failure function; returns the function that unregisters it. */
  add(fail: (status: ServerStatus) => void): () => void {
    this.#calls.add(fail);
    return () => this.#calls.delete(fail);
  }

  get size(): number {
    return this.#calls.size;
  }

  /** Fails every in-flight call with ABORTED ("plugin crashed: …"), like a Go plugin panic. */
  failAll(error: unknown): void {
    const status = toServerStatus(error, { code: grpc.status.ABORTED, prefix: "plugin crashed: " });
    for (const fail of [...this.#calls]) fail(status);
    this.#calls.clear();
  }
}

/** Wraps an async unary implementation. */
export function unary<Req, Res>(calls: InflightCalls, run: (request: Req) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    let done = false;
    const finish = (err: ServerStatus | null, res?: Res): void => {
      if (done) return;
      done = true;
      untrack();
      if (err) callback(err);
      else callback(null, res);
    };
    const untrack = calls.add((status) => finish(status));
    Promise.resolve()
      .then(() => run(call.request))
      .then(
        (res) => finish(null, res),
        (err: unknown) => finish(toServerStatus(err)),
      );
  };
}

/** Tracks a streaming call; `fail` sends the status once, `settle` unregisters. */
export function trackCall(calls: InflightCalls, fail: (status: ServerStatus) => void): { fail(error: unknown): void; settle(): void } {
  let done = false;
  const untrack = calls.add((status) => {
    if (done) return;
    done = true;
    fail(status);
  });
  return {
    fail(error: unknown): void {
      if (done) return;
      done = true;
      untrack();
      fail(toServerStatus(error));
    },
    settle(): void {
      done = true;
      untrack();
    },
  };
}
