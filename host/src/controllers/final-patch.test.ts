import { describe, expect, it } from "vitest";
import { KubeApiError } from "../kube/errors.js";
import { createSilentLogger } from "../shared/logging.js";
import { FakeClock } from "../testing/fake-clock.js";
import { FINAL_PATCH_RETRY_MS, patchFinalStatus } from "./final-patch.js";

const unavailable = () => new KubeApiError({ statusCode: 503, reason: "ServiceUnavailable", message: "etcdserver: leader changed" });

/** Runs patchFinalStatus with a patch that always fails, moving the fake clock past each wait; returns the attempts and the result. */
async function alwaysFailing(retryMs?: number): Promise<{ attempts: number; ok: boolean; elapsedMs: number }> {
  const clock = new FakeClock("2024-05-01T10:00:00Z");
  const start = clock.now().getTime();
  let attempts = 0;
  const done = patchFinalStatus(
    "Backup",
    async () => {
      attempts++;
      throw unavailable();
    },
    { clock, log: createSilentLogger(), ...(retryMs !== undefined ? { retryMs } : {}) },
  );
  let finished = false;
  void done.then(() => (finished = true));
  while (!finished) {
    await new Promise((r) => setImmediate(r));
    clock.advance(1000);
  }
  return { attempts, ok: await done, elapsedMs: clock.now().getTime() - start };
}

describe("patchFinalStatus", () => {
  it("retries a failing final patch for Velero's resource timeout (10 min by default), then gives up", async () => {
    const r = await alwaysFailing();
    expect(r.ok).toBe(false);
    expect(r.elapsedMs).toBeLessThanOrEqual(FINAL_PATCH_RETRY_MS + 1000);
    expect(r.elapsedMs).toBeGreaterThan(FINAL_PATCH_RETRY_MS - 31_000);
  });

  it("retries for the server's --resource-timeout when given", async () => {
    const r = await alwaysFailing(60_000);
    expect(r.ok).toBe(false);
    expect(r.elapsedMs).toBeLessThanOrEqual(61_000);
    expect(r.attempts).toBeGreaterThan(2);
  });
});
