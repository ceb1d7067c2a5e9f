/**
 * The small reconcile machinery: a watch feeds a keyed work queue; a reconciler handles one key
 * at a time (never two workers on one key); transient errors requeue with backoff.
 */
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import type { GroupVersionResource } from "../../kube/client.js";

/** "namespace/name" or "name". */
export type ObjectKey = string;

export type ReconcileResult = { kind: "done" } | { kind: "requeue"; afterMs: number };

export interface Reconciler {
  /** Name for logs and metrics ("backup", "restore", ...). */
  readonly name: string;
  /** The resource watched; each event enqueues its key. */
  readonly watches: GroupVersionResource;
  /**
   * Handles one key. Terminal problems go into status and return done; throw only for transient
   * errors. `cached` is the object as the watch cache holds it (read only; it may lag the API
   * server, never lead it): a reconciler may conclude from it that nothing is due yet (no GET), and
   * reads the object afresh before it acts.
   */
  reconcile(key: ObjectKey, cached?: UnstructuredItem): Promise<ReconcileResult>;
  /** Optional periodic resync of every key (e.g. BSL validation, schedules), in ms. */
  readonly resyncPeriodMs?: number;
  /** Which watch events enqueue their key (controller-runtime's predicates); default every event. */
  readonly watchEvents?: readonly ("added" | "updated" | "deleted")[];
  /**
   * Whether the object, as an added or updated event (or the cache, at start and at each resync)
   * shows it, is one this reconciler acts on (controller-runtime's predicates: Velero's controllers
   * filter by phase so). Keys of other objects are not enqueued, so an object needs no GET from a
   * reconciler that would do nothing with it. A deleted object always reaches forget. Default: every object.
   */
  wants?(object: UnstructuredItem, key: ObjectKey): boolean;
  /**
   * Called instead of reconcile when the watch cache no longer holds the key's object (it was
   * deleted): the reconciler drops what it keeps for the key. A key whose object the cache holds
   * is reconciled (the reconciler reads the object afresh); one the cache lacks costs no GET, as
   * controller-runtime's cached reads cost none. An object created again arrives as a new event.
   */
  forget?(key: ObjectKey): void;
}
