/** Object builders and a one-call restore harness for the restore engine's unit tests. */
import { Readable } from "node:stream";
import type { Backup, Restore, RestoreItemActionV2, RestoreSpec, UnstructuredItem } from "@velero-ts/plugin-sdk";
import type { NativeSnapshotRecord } from "../../persistence/backup-store.js";
import type { NamedAction } from "../../plugins/manager.js";
import { createSilentLogger, type Logger } from "../../shared/logging.js";
import type { ResourceModifiers } from "../resource-modifiers.js";
import type { BackupVolumeInfo, RestoreOutcome, RestoreProgress } from "../request.js";
import { KubernetesRestorer, type KubernetesRestorerOptions } from "../restorer.js";
import { buildBackupTarball, type TarItem } from "./backup-tarball.js";
import { InstantClock } from "./instant-clock.js";
import { RestoreFakeKube } from "./restore-fake-kube.js";

type Meta = { labels?: Record<string, string>; annotations?: Record<string, string> } & Record<string, unknown>;

export function forItem(apiVersion: string, kind: string, namespace: string | undefined, name: string, body: Record<string, unknown> = {}, meta: Meta = {}): UnstructuredItem {
  return {
    apiVersion,
    kind,
    metadata: { name, ...(namespace ? { namespace } : {}), uid: `uid-${name}`, resourceVersion: "123", creationTimestamp: "2023-01-01T00:00:00Z", ...meta } as unknown as UnstructuredItem["metadata"],
    ...body,
  };
}

export const forNamespace = (name: string, meta: Meta = {}): UnstructuredItem => forItem("v1", "Namespace", undefined, name, { spec: { finalizers: ["kubernetes"] }, status: { phase: "Active" } }, meta);
export const forConfigMap = (ns: string, name: string, data: Record<string, string> = { k: "v" }, meta: Meta = {}): UnstructuredItem =>
  forItem("v1", "ConfigMap", ns, name, { data }, meta);
export const forPod = (ns: string, name: string, spec: Record<string, unknown> = {}, meta: Meta = {}, status: Record<string, unknown> = { phase: "Running" }): UnstructuredItem =>
  forItem("v1", "Pod", ns, name, { spec: { containers: [{ name: "app", image: "nginx:1.25" }], nodeName: "node-1", ...spec }, status }, meta);
export const forPv = (name: string, spec: Record<string, unknown> = {}, meta: Meta = {}): UnstructuredItem =>
  forItem("v1", "PersistentVolume", undefined, name, {
    spec: { capacity: { storage: "1Gi" }, accessModes: ["ReadWriteOnce"], persistentVolumeReclaimPolicy: "Retain", hostPath: { path: `/data/${name}` }, ...spec },
    status: { phase: "Bound" },
  }, meta);
export const forPvc = (ns: string, name: string, volumeName: string, meta: Meta = {}): UnstructuredItem =>
  forItem("v1", "PersistentVolumeClaim", ns, name, {
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, volumeName, storageClassName: "standard" },
    status: { phase: "Bound" },
  }, { annotations: { "pv.kubernetes.io/bind-completed": "yes", "pv.kubernetes.io/bound-by-controller": "yes" }, ...meta });

export function forBackupObject(name = "b1", status: Backup["status"] = { phase: "Completed", formatVersion: "1.1.0" }): Backup {
  return { apiVersion: "velero.io/v1", kind: "Backup", metadata: { namespace: "velero", name, uid: `uid-${name}` }, spec: {}, status };
}

export function forRestoreObject(spec: Partial<RestoreSpec> = {}, name = "r1"): Restore {
  return { apiVersion: "velero.io/v1", kind: "Restore", metadata: { namespace: "velero", name, uid: `uid-${name}` }, spec: { backupName: "b1", ...spec } };
}

export interface RunRestoreInput {
  items: (TarItem | UnstructuredItem)[];
  spec?: Partial<RestoreSpec>;
  kube?: RestoreFakeKube;
  actions?: NamedAction<RestoreItemActionV2>[];
  volumeSnapshots?: NativeSnapshotRecord[];
  backupVolumeInfos?: BackupVolumeInfo[];
  resourceModifiers?: ResourceModifiers;
  options?: Partial<KubernetesRestorerOptions>;
  tarball?: Buffer;
  /** The restore's log (default: silent). */
  log?: Logger;
}

export interface RunRestoreOutput {
  kube: RestoreFakeKube;
  outcome: RestoreOutcome;
  progress: RestoreProgress[];
  clock: InstantClock;
}

export async function runRestore(input: RunRestoreInput): Promise<RunRestoreOutput> {
  const kube = input.kube ?? new RestoreFakeKube();
  const clock = new InstantClock();
  const restorer = new KubernetesRestorer({ kube, clock, ...input.options });
  const progress: RestoreProgress[] = [];
  const outcome = await restorer.restore({
    restore: forRestoreObject(input.spec),
    backup: forBackupObject(),
    backupContents: Readable.from([input.tarball ?? (await buildBackupTarball(input.items))]),
    volumeSnapshots: input.volumeSnapshots,
    backupVolumeInfos: input.backupVolumeInfos,
    resourceModifiers: input.resourceModifiers,
    actions: input.actions,
    log: input.log ?? createSilentLogger(),
    onProgress: (p) => progress.push(p),
  });
  return { kube, outcome, progress, clock };
}

export const CORE = (resource: string) => ({ group: "", version: "v1", resource });
