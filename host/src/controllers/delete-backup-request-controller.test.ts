import { gzipSync } from "node:zlib";
import { pack } from "tar-stream";
import { describe, expect, it } from "vitest";
import {
  emptyResourceSelector,
  NotFoundError,
  type Backup,
  type DeleteBackupRequest,
  type DeleteItemAction,
  type ResourceSelector,
  type Restore,
  type UnstructuredItem,
  type VolumeSnapshotLocation,
  type VolumeSnapshotter,
} from "@velero-ts/plugin-sdk";
import { GVR } from "../kube/gvr.js";
import type { NativeSnapshotRecord } from "../persistence/backup-store.js";
import { createSilentLogger } from "../shared/logging.js";
import { FakeBackupStore } from "../testing/fake-backup-store.js";
import { FakeClock } from "../testing/fake-clock.js";
import { FakeKubeClient } from "../testing/fake-kube-client.js";
import { forBackup, forLocation, u } from "../testing/lifecycle-builders.js";
import { newDeleteBackupRequest } from "./gc-controller.js";
import { DELETE_BACKUP_REQUEST_MAX_AGE_MS, DeleteBackupRequestReconciler } from "./delete-backup-request-controller.js";
import { BackupPostProcessingTracker } from "./backup-operations-controller.js";
import { invokeDeleteItemActions } from "./delete-item-actions.js";
import { Readable } from "node:stream";

const NS = "velero";

async function tarball(entries: Record<string, object | string>): Promise<Buffer> {
  const p = pack();
  for (const [name, body] of Object.entries(entries)) p.entry({ name, mode: 0o755 }, typeof body === "string" ? body : JSON.stringify(body));
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

function item(apiVersion: string, kind: string, name: string, namespace?: string, labels?: Record<string, string>): UnstructuredItem {
  return { apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}), ...(labels ? { labels } : {}) } };
}

class RecordingDeleteAction implements DeleteItemAction {
  readonly seen: string[] = [];
  /** The backup phases the action was given. */
  readonly phases = new Set<string>();
  failOn: string | undefined;
  constructor(readonly selector: Partial<ResourceSelector>) {}
  async appliesTo(): Promise<ResourceSelector> {
    return { ...emptyResourceSelector(), ...this.selector };
  }
  async execute(it: UnstructuredItem, backup: Backup): Promise<void> {
    this.seen.push(`${backup.metadata.name}:${it.kind}/${it.metadata.namespace ?? ""}/${it.metadata.name}`);
    this.phases.add(backup.status?.phase ?? "");
    if (it.metadata.name === this.failOn) throw new Error("plugin exploded");
  }
}

class RecordingSnapshotter implements Partial<VolumeSnapshotter> {
  readonly deleted: string[] = [];
  failOn: string | undefined;
  async deleteSnapshot(id: string): Promise<void> {
    if (id === this.failOn) throw new Error("snapshot API says no");
    this.deleted.push(id);
  }
}

function snapshotRecord(id: string, location = "aws-vsl"): NativeSnapshotRecord {
  return {
    spec: { backupName: "b1", backupUID: "uid-b1", location, persistentVolumeName: `pv-${id}`, providerVolumeID: `vol-${id}`, volumeType: "gp3" },
    status: { providerSnapshotID: id, phase: "Completed" },
  };
}

function forRestore(name: string, backupName: string): Restore {
  return { apiVersion: "velero.io/v1", kind: "Restore", metadata: { namespace: NS, name }, spec: { backupName } };
}

async function setup(
  init: {
    location?: Parameters<typeof forLocation>[2] | "missing";
    backupPhase?: Backup["status"] extends infer S ? S extends { phase?: infer P } ? P : never : never;
    /** The backup is in this server's post-processing set (it ran it; its operations are followed). */
    postProcessing?: boolean;
    /** What opening a VolumeSnapshotter throws. */
    snapshotterError?: Error;
    /** Restores, requests, backups and locations read from a watch cache (as the server wires it) instead of LISTs and GETs. */
    cache?: boolean;
    /** The cache's requests, when they should differ from the API server's (stale copies). */
    staleRequests?: (namespace: string) => Promise<UnstructuredItem[]>;
    /** The cache's locations, when they should differ from the API server's (a stale copy). */
    staleLocations?: (namespace: string) => Promise<UnstructuredItem[]>;
  } = {},
) {
  const tracker = new BackupPostProcessingTracker();
  if (init.postProcessing) tracker.keys.add(`${NS}/b1`);
  const clock = new FakeClock("2024-03-09T10:00:00Z");
  const kube = new FakeKubeClient();
  const store = new FakeBackupStore();
  const snapshotter = new RecordingSnapshotter();
  const podAction = new RecordingDeleteAction({ includedResources: ["pod"], includedNamespaces: ["app"], selector: "tier=web" });
  const everythingAction = new RecordingDeleteAction({});
  const openedSnapshotters: string[] = [];
  const metrics: string[] = [];
  const cached = (gvr: typeof GVR.restores) => async (namespace: string) => kube.all(gvr).filter((o) => o.metadata.namespace === namespace);
  const reconciler = new DeleteBackupRequestReconciler({
    kube,
    ...(init.cache
      ? { cachedRestores: cached(GVR.restores), cachedRequests: init.staleRequests ?? cached(GVR.deleteBackupRequests), cachedBackups: cached(GVR.backups), cachedLocations: init.staleLocations ?? cached(GVR.backupStorageLocations) }
      : {}),
    log: createSilentLogger(),
    clock,
    getBackupStore: async () => store,
    // as the server wires it: running, or post-processed by this process
    isBackupInProgress: (b) => b.status?.phase === "InProgress" || tracker.has(b),
    plugins: {
      getDeleteItemActions: async () => [
        { name: "example.io/pods", action: podAction },
        { name: "example.io/all", action: everythingAction },
      ],
      getVolumeSnapshotter: async (provider, config) => {
        if (init.snapshotterError) throw init.snapshotterError;
        openedSnapshotters.push(`${provider} ${JSON.stringify(config)}`);
        return snapshotter as unknown as VolumeSnapshotter;
      },
    },
    metrics: {
      deletionAttempt: (s) => metrics.push(`attempt:${s}`),
      deletionSuccess: (s) => metrics.push(`success:${s}`),
      deletionFailure: (s) => metrics.push(`failure:${s}`),
    },
  });

  if (init.location !== "missing") kube.seed(GVR.backupStorageLocations, u(forLocation(NS, "default", init.location ?? {})));
  const vsl: VolumeSnapshotLocation = { apiVersion: "velero.io/v1", kind: "VolumeSnapshotLocation", metadata: { namespace: NS, name: "aws-vsl" }, spec: { provider: "velero.io/aws", config: { region: "us-east-1" } } };
  kube.seed(GVR.volumeSnapshotLocations, u(vsl));
  const backup = forBackup(NS, "b1", { location: "default", phase: init.backupPhase ?? "Completed", uid: "uid-b1", labels: { "velero.io/schedule-name": "nightly" } });
  kube.seed(GVR.backups, u(backup));
  store.addBackup(backup, {
    contents: await tarball({
      "metadata/version": "1.1.0\n",
      "resources/pods/namespaces/app/web-1.json": item("v1", "Pod", "web-1", "app", { tier: "web" }),
      "resources/pods/namespaces/app/db-1.json": item("v1", "Pod", "db-1", "app", { tier: "db" }),
      "resources/pods/namespaces/other/web-2.json": item("v1", "Pod", "web-2", "other", { tier: "web" }),
      "resources/pods/v1-preferredversion/namespaces/app/web-1.json": item("v1", "Pod", "web-1", "app", { tier: "web" }),
      "resources/persistentvolumes/cluster/pv-1.json": item("v1", "PersistentVolume", "pv-1"),
    }),
    volumeSnapshots: [snapshotRecord("snap-1"), snapshotRecord("snap-2")],
  });
  kube.seed(GVR.restores, u(forRestore("r1", "b1")), u(forRestore("r2", "other-backup")));
  store.restores.add("r1").add("r2");

  const request = (name: string) => kube.peek<DeleteBackupRequest>(GVR.deleteBackupRequests, name, NS);
  const submit = (name = "b1-req") => {
    const dbr = newDeleteBackupRequest({ metadata: { name: "b1", namespace: NS, uid: "uid-b1" } });
    dbr.metadata.name = name;
    kube.seed(GVR.deleteBackupRequests, u(dbr));
    return `${NS}/${name}`;
  };
  return { clock, kube, store, snapshotter, podAction, everythingAction, reconciler, request, submit, openedSnapshotters, metrics };
}

describe("DeleteBackupRequestReconciler", () => {
  it("deletes everything of the backup and then every request for it", async () => {
    const t = await setup();
    t.submit("b1-old");
    t.kube.seed(GVR.deleteBackupRequests, u({ ...newDeleteBackupRequest({ metadata: { name: "b1", namespace: NS, uid: "uid-b1" } }), metadata: { name: "b1-older", namespace: NS, labels: { "velero.io/backup-name": "b1" } } }));
    const key = t.submit("b1-req");

    expect(await t.reconciler.reconcile(key)).toEqual({ kind: "done" });

    // DeleteItemActions saw only unversioned items matching their selectors.
    expect(t.podAction.seen).toEqual(["b1:Pod/app/web-1"]);
    expect(t.everythingAction.seen.sort()).toEqual(["b1:PersistentVolume//pv-1", "b1:Pod/app/db-1", "b1:Pod/app/web-1", "b1:Pod/other/web-2"]);
    // given the backup as it is by then (Deleting), as Velero gives it
    expect([...t.everythingAction.phases]).toEqual(["Deleting"]);
    // Native snapshots through the VSL's snapshotter (opened once).
    expect(t.snapshotter.deleted).toEqual(["snap-1", "snap-2"]);
    expect(t.openedSnapshotters).toEqual(['velero.io/aws {"region":"us-east-1"}']);
    // Bucket, restores (files + CRs, only those of this backup), Backup CR, requests.
    expect(t.store.backups.has("b1")).toBe(false);
    expect([...t.store.restores]).toEqual(["r2"]);
    expect(t.kube.all(GVR.restores).map((r) => r.metadata.name)).toEqual(["r2"]);
    expect(t.kube.peek(GVR.backups, "b1", NS)).toBeUndefined();
    expect(t.kube.all(GVR.deleteBackupRequests)).toEqual([]);
    expect(t.metrics).toEqual(["attempt:nightly", "success:nightly"]);

    // Phase sequence written: labels + InProgress, Backup Deleting, then Processed without errors.
    const patches = t.kube.actions.filter((a) => a.verb === "patch").map((a) => ({ resource: a.resource, patch: a.patch }));
    expect(patches).toEqual([
      { resource: "deletebackuprequests", patch: { metadata: { labels: { "velero.io/backup-name": "b1", "velero.io/backup-uid": "uid-b1" } }, status: { phase: "InProgress" } } },
      { resource: "backups", patch: { status: { phase: "Deleting" } } },
      { resource: "deletebackuprequests", patch: { status: { phase: "Processed", errors: null } } },
    ]);
    // The older requests went first (Velero's deleteExistingDeletionRequests).
    const deletes = t.kube.actions.filter((a) => a.verb === "delete").map((a) => `${a.resource}/${a.name}`);
    expect(deletes.slice(0, 2).sort()).toEqual(["deletebackuprequests/b1-old", "deletebackuprequests/b1-older"]);
  });

  it("keeps the bucket's backup of the same name, its snapshots and its restores when the Backup failed because that backup was already there", async () => {
    const t = await setup({ backupPhase: "Failed" });
    await t.kube.patchStatus(GVR.backups, "b1", NS, { status: { phase: "Failed", failureReason: "backup already exists in object storage" } });

    expect(await t.reconciler.reconcile(t.submit())).toEqual({ kind: "done" });

    expect(t.store.backups.has("b1")).toBe(true);
    expect(t.snapshotter.deleted).toEqual([]);
    expect(t.podAction.seen).toEqual([]);
    expect([...t.store.restores].sort()).toEqual(["r1", "r2"]);
    expect(t.kube.all(GVR.restores).map((r) => r.metadata.name).sort()).toEqual(["r1", "r2"]);
    // the failed Backup CR itself goes (sync brings the stored backup in under its name)
    expect(t.kube.peek(GVR.backups, "b1", NS)).toBeUndefined();
    expect(t.request("b1-req")).toBeUndefined();
  });

  it.each([
    { name: "a read-only location", init: { location: { accessMode: "ReadOnly" as const } }, error: "cannot delete backup because backup storage location default is currently in read-only mode" },
    { name: "an unavailable location", init: { location: { phase: "Unavailable" as const } }, error: "cannot delete backup because backup storage location default is currently in Unavailable state" },
    { name: "a missing location", init: { location: "missing" as const }, error: "backup storage location default not found" },
    { name: "a running backup", init: { backupPhase: "InProgress" as const }, error: "backup is still in progress" },
    // as Velero's backup tracker: still held while its plugin operations run or it is finalized
    { name: "a backup waiting for plugin operations", init: { backupPhase: "WaitingForPluginOperations" as const, postProcessing: true }, error: "backup is still in progress" },
    { name: "a backup being finalized", init: { backupPhase: "FinalizingPartiallyFailed" as const, postProcessing: true }, error: "backup is still in progress" },
  ])("refuses with $name and touches nothing", async ({ init, error }) => {
    const t = await setup(init);
    const key = t.submit();
    expect(await t.reconciler.reconcile(key)).toEqual({ kind: "done" });
    expect(t.request("b1-req")?.status).toEqual({ phase: "Processed", errors: [error] });
    expect(t.store.backups.has("b1")).toBe(true);
    expect(t.kube.peek<Backup>(GVR.backups, "b1", NS)?.status?.phase).toBe(init.backupPhase ?? "Completed");
    expect(t.kube.all(GVR.restores)).toHaveLength(2);
    expect(t.snapshotter.deleted).toEqual([]);
  });

  it("deletes a backup stuck waiting for plugin operations that this server does not hold (after a restart), as Velero's in-memory tracker allows", async () => {
    const t = await setup({ backupPhase: "WaitingForPluginOperations" });
    await t.reconciler.reconcile(t.submit());
    expect(t.request("b1-req")?.status?.errors).toBeUndefined();
    expect(t.kube.peek(GVR.backups, "b1", NS)).toBeUndefined();
    expect(t.store.backups.has("b1")).toBe(false);
  });

  it("refuses a request for a backup that does not exist", async () => {
    const t = await setup();
    const dbr = newDeleteBackupRequest({ metadata: { name: "ghost", namespace: NS, uid: "" } });
    dbr.metadata.name = "ghost-req";
    t.kube.seed(GVR.deleteBackupRequests, u(dbr));
    await t.reconciler.reconcile(`${NS}/ghost-req`);
    expect(t.request("ghost-req")?.status).toEqual({ phase: "Processed", errors: ["backup not found"] });
  });

  it("refuses a request without spec.backupName", async () => {
    const t = await setup();
    const empty: DeleteBackupRequest = { apiVersion: "velero.io/v1", kind: "DeleteBackupRequest", metadata: { namespace: NS, name: "empty" }, spec: { backupName: "" } };
    t.kube.seed(GVR.deleteBackupRequests, u(empty));
    await t.reconciler.reconcile(`${NS}/empty`);
    expect(t.request("empty")?.status).toEqual({ phase: "Processed", errors: ["spec.backupName is required"] });
  });

  it("keeps the bucket objects and the Backup CR when a snapshot cannot be deleted", async () => {
    const t = await setup();
    t.snapshotter.failOn = "snap-1";
    await t.reconciler.reconcile(t.submit());
    expect(t.request("b1-req")?.status).toEqual({ phase: "Processed", errors: ["error deleting snapshot snap-1: snapshot API says no"] });
    expect(t.snapshotter.deleted).toEqual(["snap-2"]);
    expect(t.store.backups.has("b1")).toBe(true);
    expect(t.kube.peek<Backup>(GVR.backups, "b1", NS)?.status?.phase).toBe("Deleting");
    expect(t.metrics).toEqual(["attempt:nightly", "failure:nightly"]);
  });

  it("passes the location's credential to the snapshotter as credentialsFile", async () => {
    const t = await setup();
    const opened: Record<string, string>[] = [];
    const reconciler = new DeleteBackupRequestReconciler({
      kube: t.kube,
      log: createSilentLogger(),
      clock: t.clock,
      getBackupStore: async () => t.store,
      credentials: { path: async (sel) => `/tmp/creds/${sel.name}-${sel.key}` },
      plugins: {
        getDeleteItemActions: async () => [],
        getVolumeSnapshotter: async (_provider, config) => {
          opened.push(config);
          return t.snapshotter as unknown as VolumeSnapshotter;
        },
      },
    });
    await t.kube.patch(GVR.volumeSnapshotLocations, "aws-vsl", NS, { spec: { credential: { name: "cloud", key: "aws" } } });
    await reconciler.reconcile(t.submit());
    expect(opened).toEqual([{ region: "us-east-1", credentialsFile: "/tmp/creds/cloud-aws" }]);
    expect(t.snapshotter.deleted).toEqual(["snap-1", "snap-2"]);
  });

  it("reports a snapshot whose volume snapshot location is gone", async () => {
    const t = await setup();
    t.store.addBackup(t.kube.peek<Backup>(GVR.backups, "b1", NS) as Backup, { volumeSnapshots: [snapshotRecord("snap-9", "gone-vsl")] });
    await t.reconciler.reconcile(t.submit());
    expect(t.request("b1-req")?.status?.errors).toEqual(['error getting volume snapshot location gone-vsl: VolumeSnapshotLocation.velero.io "gone-vsl" not found']);
  });

  it("says in Velero's words whether the snapshot location's provider has no plugin or its plugin failed to initialise", async () => {
    const missing = await setup({ snapshotterError: new NotFoundError("unable to locate VolumeSnapshotter plugin named velero.io/aws (registered: none; install the plugin into --plugin-dir)") });
    await missing.reconciler.reconcile(missing.submit());
    expect(missing.request("b1-req")?.status?.errors?.[0]).toBe("error getting volume snapshotter for provider velero.io/aws: unable to locate VolumeSnapshotter plugin named velero.io/aws (registered: none; install the plugin into --plugin-dir)");
    const failing = await setup({ snapshotterError: new Error("missing region") });
    await failing.reconciler.reconcile(failing.submit());
    expect(failing.request("b1-req")?.status?.errors?.[0]).toBe("error initializing volume snapshotter for volume snapshot location aws-vsl: missing region");
  });

  it("goes on when a DeleteItemAction fails or the backup has no tarball", async () => {
    const t = await setup();
    t.everythingAction.failOn = "db-1";
    await t.reconciler.reconcile(t.submit());
    expect(t.kube.peek(GVR.backups, "b1", NS)).toBeUndefined();

    const u2 = await setup();
    u2.store.addBackup(u2.kube.peek<Backup>(GVR.backups, "b1", NS) as Backup);
    await u2.reconciler.reconcile(u2.submit());
    expect(u2.everythingAction.seen).toEqual([]);
    expect(u2.kube.peek(GVR.backups, "b1", NS)).toBeUndefined();
  });

  it("keeps the bucket objects and the Backup CR when the tarball cannot be read (not that it is missing): the deletion can be asked again (as Velero)", async () => {
    const t = await setup();
    t.store.failures.set("getBackupContents", new Error("SlowDown: Please reduce your request rate."));
    await t.reconciler.reconcile(t.submit());
    expect(t.request("b1-req")?.status).toEqual({
      phase: "Processed",
      errors: ["error downloading backup tarball, CSI snapshot cleanup was skipped: SlowDown: Please reduce your request rate."],
    });
    expect(t.everythingAction.seen).toEqual([]);
    expect(t.store.backups.has("b1")).toBe(true);
    expect(t.kube.peek<Backup>(GVR.backups, "b1", NS)?.status?.phase).toBe("Deleting");
    expect(t.metrics).toEqual(["attempt:nightly", "failure:nightly"]);
    // a Go plugin's "not found" arrives as text: no tarball, nothing for the actions, the deletion goes on
    const gone = await setup();
    gone.store.failures.set("getBackupContents", new Error("rpc error: code = Unknown desc = NoSuchKey: The specified key does not exist."));
    await gone.reconciler.reconcile(gone.submit());
    expect(gone.request("b1-req")?.status?.errors).toBeUndefined();
    expect(gone.kube.peek(GVR.backups, "b1", NS)).toBeUndefined();
  });

  it("ends an InProgress request with the reason when a step fails unexpectedly", async () => {
    const t = await setup();
    t.store.failures.set("deleteRestore", new Error("bucket went away"));
    await t.reconciler.reconcile(t.submit());
    expect(t.request("b1-req")?.status).toEqual({ phase: "Processed", errors: ["error deleting restore velero/r1: bucket went away"] });
    expect(t.kube.peek(GVR.backups, "b1", NS)).toBeDefined();
  });

  it.each([
    { phase: "InProgress" as const, cache: false },
    { phase: "Processed" as const, cache: false },
    { phase: "InProgress" as const, cache: true },
    { phase: "Processed" as const, cache: true },
  ])("waits, then deletes a day-old $phase request (given the watch cache's copy: $cache, then no GET while it waits)", async ({ phase, cache }) => {
    const t = await setup();
    const dbr = newDeleteBackupRequest({ metadata: { name: "b1", namespace: NS, uid: "uid-b1" } });
    dbr.metadata.name = "b1-done";
    dbr.metadata.creationTimestamp = "2024-03-09T09:00:00Z" as never;
    dbr.status = { phase };
    t.kube.seed(GVR.deleteBackupRequests, u(dbr));
    const gets: string[] = [];
    const get = t.kube.get.bind(t.kube);
    t.kube.get = (gvr, name, namespace) => (gets.push(`${gvr.resource}/${name}`), get(gvr, name, namespace));
    const cached = () => (cache ? t.kube.peek(GVR.deleteBackupRequests, "b1-done", NS) : undefined);
    expect(await t.reconciler.reconcile(`${NS}/b1-done`, cached())).toEqual({ kind: "requeue", afterMs: DELETE_BACKUP_REQUEST_MAX_AGE_MS - 3_600_000 });
    expect(gets).toEqual(cache ? [] : ["deletebackuprequests/b1-done"]);
    expect(t.store.backups.has("b1")).toBe(true);
    t.clock.advance(DELETE_BACKUP_REQUEST_MAX_AGE_MS);
    expect(await t.reconciler.reconcile(`${NS}/b1-done`, cached())).toEqual({ kind: "done" });
    expect(t.request("b1-done")).toBeUndefined();
  });

  /** Restore CRs that stay when deleted (their finalizer not yet removed by the restore controller). */
  function keepRestoresOnDelete(kube: FakeKubeClient): { release(name: string): Promise<void> } {
    const remove = kube.delete.bind(kube);
    kube.delete = async (gvr, name, namespace) => (gvr === GVR.restores ? undefined : remove(gvr, name, namespace));
    return { release: (name) => remove(GVR.restores, name, NS) };
  }
  /** Lets the reconcile run until `ready` (its tarball is read through zlib on the thread pool: real time). */
  const until = async (ready: () => boolean): Promise<void> => {
    for (let i = 0; i < 2_000 && !ready(); i++) await new Promise((r) => setTimeout(r, 1));
    expect(ready()).toBe(true);
  };

  it("waits for the deleted restores to be gone (their finalizers) before deleting the Backup, as Velero", async () => {
    const t = await setup();
    const restores = keepRestoresOnDelete(t.kube);
    let finished = false;
    const done = t.reconciler.reconcile(t.submit()).then((r) => ((finished = true), r));
    // the restore's files are gone, its CR is still there: the Backup waits
    await until(() => !t.store.restores.has("r1"));
    for (let s = 0; s < 5; s++) {
      await new Promise((r) => setTimeout(r, 5));
      t.clock.advance(1_000);
    }
    expect(finished).toBe(false);
    expect(t.kube.peek(GVR.backups, "b1", NS)).toBeDefined();
    await restores.release("r1");
    t.clock.advance(1_000);
    expect(await done).toEqual({ kind: "done" });
    expect(t.kube.peek(GVR.backups, "b1", NS)).toBeUndefined();
    expect(t.request("b1-req")).toBeUndefined();
  });

  it("reads the restores, the requests, the backup and its location from the watch cache when it has one (no LIST, no GET of them), looking at it every 100 ms while a restore's finalizer holds it", async () => {
    const t = await setup({ cache: true });
    const lists: string[] = [];
    const list = t.kube.list.bind(t.kube);
    t.kube.list = (gvr, options) => (lists.push(gvr.resource), list(gvr, options));
    const gets: string[] = [];
    const get = t.kube.get.bind(t.kube);
    t.kube.get = (gvr, name, namespace) => (gets.push(gvr.resource), get(gvr, name, namespace));
    t.submit("b1-old");
    const restores = keepRestoresOnDelete(t.kube);
    let finished = false;
    const done = t.reconciler.reconcile(t.submit("b1-req")).then((r) => ((finished = true), r));
    await until(() => !t.store.restores.has("r1"));
    await new Promise((r) => setTimeout(r, 5));
    t.clock.advance(100);
    await new Promise((r) => setTimeout(r, 5));
    expect(finished).toBe(false);
    await restores.release("r1");
    t.clock.advance(100);
    expect(await done).toEqual({ kind: "done" });
    expect(t.kube.peek(GVR.backups, "b1", NS)).toBeUndefined();
    expect(t.kube.all(GVR.restores).map((r) => r.metadata.name)).toEqual(["r2"]);
    expect(t.kube.all(GVR.deleteBackupRequests)).toEqual([]);
    expect(lists).toEqual([]);
    expect(gets.filter((r) => r === "backups" || r === "backupstoragelocations")).toEqual([]);
  });

  it("deletes its own request at the end even when the watch cache has not seen the labels it put on it yet", async () => {
    let seen: UnstructuredItem[] = [];
    const t = await setup({ cache: true, staleRequests: async () => seen });
    const key = t.submit("b1-req");
    // the cache holds the request as created: without the backup-name and backup-uid labels
    seen = t.kube.all(GVR.deleteBackupRequests).map((r) => ({ ...r, metadata: { ...r.metadata, labels: {} } }));
    expect(await t.reconciler.reconcile(key)).toEqual({ kind: "done" });
    expect(t.kube.peek(GVR.backups, "b1", NS)).toBeUndefined();
    expect(t.kube.all(GVR.deleteBackupRequests)).toEqual([]);
  });

  it("reads the location afresh when the cache's copy would refuse the deletion (a stale ReadOnly copy), and deletes", async () => {
    const t = await setup({
      cache: true,
      staleLocations: async () => [u(forLocation(NS, "default", { accessMode: "ReadOnly" }))],
    });
    const gets: string[] = [];
    const get = t.kube.get.bind(t.kube);
    t.kube.get = (gvr, name, namespace) => (gets.push(gvr.resource), get(gvr, name, namespace));
    expect(await t.reconciler.reconcile(t.submit())).toEqual({ kind: "done" });
    expect(gets.filter((r) => r === "backupstoragelocations")).toEqual(["backupstoragelocations"]);
    expect(t.kube.peek(GVR.backups, "b1", NS)).toBeUndefined();
  });

  it("deletes the Backup after a minute when a deleted restore stays", async () => {
    const t = await setup();
    keepRestoresOnDelete(t.kube);
    let finished = false;
    const done = t.reconciler.reconcile(t.submit()).then((r) => ((finished = true), r));
    await until(() => !t.store.restores.has("r1"));
    for (let s = 0; s < 58; s++) {
      await new Promise((r) => setTimeout(r, 2));
      t.clock.advance(1_000);
    }
    await new Promise((r) => setTimeout(r, 5));
    expect(finished).toBe(false);
    for (let s = 0; s < 3 && !finished; s++) {
      t.clock.advance(1_000);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await done).toEqual({ kind: "done" });
    expect(t.kube.peek(GVR.backups, "b1", NS)).toBeUndefined();
    expect(t.kube.all(GVR.restores).map((r) => r.metadata.name).sort()).toEqual(["r1", "r2"]);
  });
});

describe("invokeDeleteItemActions selectors", () => {
  it("matches namespaces and resources as Velero's glob sets, ignores a '*' among excluded resources, and gives cluster-scoped items only to actions with unrestricted namespaces", async () => {
    const contents = await tarball({
      "metadata/version": "1.1.0\n",
      "resources/pods/namespaces/app-1/web.json": item("v1", "Pod", "web", "app-1"),
      "resources/pods/namespaces/db/pg.json": item("v1", "Pod", "pg", "db"),
      "resources/persistentvolumes/cluster/pv-1.json": item("v1", "PersistentVolume", "pv-1"),
    });
    const globbed = new RecordingDeleteAction({ includedNamespaces: ["app-*"] });
    const starExcluded = new RecordingDeleteAction({ excludedResources: ["*"] });
    const mixed = new RecordingDeleteAction({ includedNamespaces: ["*", "db"] });
    await invokeDeleteItemActions({
      backup: forBackup(NS, "b1", { location: "default", phase: "Deleting", uid: "uid-b1" }),
      contents: Readable.from([contents]),
      actions: [
        { name: "example.io/globbed", action: globbed },
        { name: "example.io/star-excluded", action: starExcluded },
        { name: "example.io/mixed", action: mixed },
      ],
      resources: [],
      log: createSilentLogger(),
    });
    expect(globbed.seen).toEqual(["b1:Pod/app-1/web"]);
    expect(starExcluded.seen).toEqual(["b1:Pod/app-1/web", "b1:Pod/db/pg", "b1:PersistentVolume//pv-1"]);
    // includes that are not just "*" restrict namespaces: no cluster-scoped items
    expect(mixed.seen).toEqual(["b1:Pod/app-1/web", "b1:Pod/db/pg"]);
  });
});
