/**
 * The last status patch of a backup or restore, retried with backoff for up to Velero's resource
 * timeout (10 min, as its PatchResourceWithRetriesOnErrors): the work is done and stored, and a CR
 * left InProgress would hold its Schedule and be failed by the next server start.
 */
import { getErrorMessage } from "@velero-ts/plugin-sdk";
import { isInvalid, isNotFound } from "../kube/errors.js";
import type { Clock } from "../shared/clock.js";
import { formatGoDuration } from "../shared/duration.js";
import type { Logger } from "../shared/logging.js";
import { backoffDelay } from "./runtime/work-queue.js";

/** How long the final status patch is retried (Velero's default resource timeout). */
export const FINAL_PATCH_RETRY_MS = 10 * 60_000;

/**
 * Runs `patch` until it succeeds; false when it cannot be written: the object is gone or was
 * created again under its name (the patch names its uid, which the API server refuses to change),
 * the time is up, or `stopping()` says the server is stopping.
 */
export async function patchFinalStatus(
  what: string,
  patch: () => Promise<unknown>,
  o: { clock: Clock; log: Logger; stopping?: () => boolean; /** --resource-timeout (default 10 min) */ retryMs?: number },
): Promise<boolean> {
  const deadline = o.clock.now().getTime() + (o.retryMs ?? FINAL_PATCH_RETRY_MS);
  for (let attempt = 1; ; attempt++) {
    try {
      await patch();
      return true;
    } catch (err) {
      if (isNotFound(err) || isInvalid(err)) {
        o.log.warn({ err: getErrorMessage(err) }, `the ${what} was deleted (or deleted and created again) while it ran: its final status is not written`);
        return false;
      }
      const delayMs = backoffDelay(attempt - 1, { baseMs: 1000, maxMs: 30_000 });
      if (o.stopping?.() || o.clock.now().getTime() + delayMs > deadline) {
        o.log.error({ err: getErrorMessage(err) }, `could not write the ${what}'s final status`);
        return false;
      }
      o.log.warn({ err: getErrorMessage(err), attempt }, `could not write the ${what}'s final status; trying again in ${formatGoDuration(delayMs)}`);
      await new Promise<void>((resolve) => o.clock.setTimeout(resolve, delayMs));
    }
  }
}
