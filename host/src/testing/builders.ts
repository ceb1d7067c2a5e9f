/**
 * Object builders for tests: forBackup("velero", "b1").includedNamespaces("app").build().
 * Each builder returns plain JSON objects as the API server would.
 */
import type {
  Backup,
  BackupPhase,
  BackupSpec,
  BackupStorageLocation,
  BackupStorageLocationSpec,
  UnstructuredItem,
  VolumeSnapshotLocation,
} from "@velero-ts/plugin-sdk";

type Meta = UnstructuredItem["metadata"];

abstract class Builder<T extends { metadata: Meta | Backup["metadata"] }> {
  protected obj: T;
  constructor(obj: T) {
    this.obj = obj;
  }
  labels(labels: Record<string, string>): this {
    this.obj.metadata.labels = { ...(this.obj.metadata.labels ?? {}), ...labels };
    return this;
  }
  annotations(annotations: Record<string, string>): this {
    this.obj.metadata.annotations = { ...(this.obj.metadata.annotations ?? {}), ...annotations };
    return this;
  }
  uid(uid: string): this {
    this.obj.metadata.uid = uid;
    return this;
  }
  creationTimestamp(ts: string): this {
    (this.obj.metadata as unknown as Record<string, unknown>).creationTimestamp = ts;
    return this;
  }
  deletionTimestamp(ts: string): this {
    (this.obj.metadata as unknown as Record<string, unknown>).deletionTimestamp = ts;
    return this;
  }
  /** Sets any top-level field (spec, status, data, ...). */
  set(field: string, value: unknown): this {
    (this.obj as Record<string, unknown>)[field] = value;
    return this;
  }
  build(): T {
    return structuredClone(this.obj);
  }
}

export class BackupBuilder extends Builder<Backup> {
  spec(spec: Partial<BackupSpec>): this {
    this.obj.spec = { ...this.obj.spec, ...spec };
    return this;
  }
  includedNamespaces(...ns: string[]): this {
    return this.spec({ includedNamespaces: ns });
  }
  excludedNamespaces(...ns: string[]): this {
    return this.spec({ excludedNamespaces: ns });
  }
  includedResources(...r: string[]): this {
    return this.spec({ includedResources: r });
  }
  excludedResources(...r: string[]): this {
    return this.spec({ excludedResources: r });
  }
  includeClusterResources(v: boolean | undefined): this {
    return this.spec({ includeClusterResources: v });
  }
  storageLocation(name: string): this {
    return this.spec({ storageLocation: name });
  }
  ttl(ttl: string): this {
    return this.spec({ ttl });
  }
  phase(phase: BackupPhase): this {
    this.obj.status = { ...(this.obj.status ?? {}), phase };
    return this;
  }
  status(status: NonNullable<Backup["status"]>): this {
    this.obj.status = { ...(this.obj.status ?? {}), ...status };
    return this;
  }
}

export function forBackup(namespace: string, name: string): BackupBuilder {
  return new BackupBuilder({ apiVersion: "velero.io/v1", kind: "Backup", metadata: { namespace, name }, spec: {} });
}

export class BslBuilder extends Builder<BackupStorageLocation> {
  spec(spec: Partial<BackupStorageLocationSpec>): this {
    this.obj.spec = { ...this.obj.spec, ...spec };
    return this;
  }
  provider(p: string): this {
    return this.spec({ provider: p });
  }
  bucket(bucket: string, prefix?: string): this {
    return this.spec({ objectStorage: { bucket, ...(prefix !== undefined ? { prefix } : {}) } });
  }
  default(v = true): this {
    return this.spec({ default: v });
  }
  accessMode(mode: "ReadWrite" | "ReadOnly"): this {
    return this.spec({ accessMode: mode });
  }
  credential(name: string, key: string): this {
    return this.spec({ credential: { name, key } });
  }
  phase(phase: "Available" | "Unavailable"): this {
    this.obj.status = { ...(this.obj.status ?? {}), phase };
    return this;
  }
}

export function forBackupStorageLocation(namespace: string, name: string): BslBuilder {
  return new BslBuilder({
    apiVersion: "velero.io/v1",
    kind: "BackupStorageLocation",
    metadata: { namespace, name },
    spec: { provider: "velero.io/memory", objectStorage: { bucket: "bucket" } },
  });
}

export class VslBuilder extends Builder<VolumeSnapshotLocation> {
  provider(p: string): this {
    this.obj.spec.provider = p;
    return this;
  }
  config(config: Record<string, string>): this {
    this.obj.spec.config = config;
    return this;
  }
}

export function forVolumeSnapshotLocation(namespace: string, name: string): VslBuilder {
  return new VslBuilder({ apiVersion: "velero.io/v1", kind: "VolumeSnapshotLocation", metadata: { namespace, name }, spec: { provider: "velero.io/fake" } });
}

export class ItemBuilder extends Builder<UnstructuredItem> {}

/** Any object: forObject("apps/v1", "Deployment", "ns", "name"). */
export function forObject(apiVersion: string, kind: string, namespace: string | undefined, name: string): ItemBuilder {
  return new ItemBuilder({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } });
}

export function forNamespace(name: string): ItemBuilder {
  return forObject("v1", "Namespace", undefined, name).set("status", { phase: "Active" });
}

export function forConfigMap(namespace: string, name: string, data: Record<string, string> = {}): ItemBuilder {
  return forObject("v1", "ConfigMap", namespace, name).set("data", data);
}

export function forSecret(namespace: string, name: string, data: Record<string, string> = {}): ItemBuilder {
  const encoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")]));
  return forObject("v1", "Secret", namespace, name).set("data", encoded).set("type", "Opaque");
}

export function forServiceAccount(namespace: string, name: string): ItemBuilder {
  return forObject("v1", "ServiceAccount", namespace, name);
}

export function forPod(namespace: string, name: string, options: { pvcs?: string[]; containers?: string[]; phase?: string } = {}): ItemBuilder {
  return forObject("v1", "Pod", namespace, name)
    .set("spec", {
      containers: (options.containers ?? ["main"]).map((c) => ({ name: c, image: "busybox" })),
      volumes: (options.pvcs ?? []).map((claimName, i) => ({ name: `vol-${i}`, persistentVolumeClaim: { claimName } })),
    })
    .set("status", { phase: options.phase ?? "Running" });
}

export function forPVC(namespace: string, name: string, volumeName?: string): ItemBuilder {
  return forObject("v1", "PersistentVolumeClaim", namespace, name)
    .set("spec", { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, ...(volumeName ? { volumeName } : {}) })
    .set("status", { phase: volumeName ? "Bound" : "Pending" });
}

export function forPV(name: string, claim?: { namespace: string; name: string }): ItemBuilder {
  return forObject("v1", "PersistentVolume", undefined, name).set("spec", {
    capacity: { storage: "1Gi" },
    accessModes: ["ReadWriteOnce"],
    hostPath: { path: `/tmp/${name}` },
    ...(claim ? { claimRef: { kind: "PersistentVolumeClaim", namespace: claim.namespace, name: claim.name } } : {}),
  });
}

export function forClusterRoleBinding(name: string, role: string, subjects: { kind: string; name: string; namespace?: string }[]): ItemBuilder {
  return forObject("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", undefined, name)
    .set("roleRef", { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role })
    .set("subjects", subjects);
}

export function forClusterRole(name: string): ItemBuilder {
  return forObject("rbac.authorization.k8s.io/v1", "ClusterRole", undefined, name).set("rules", []);
}

export function forDeployment(namespace: string, name: string): ItemBuilder {
  return forObject("apps/v1", "Deployment", namespace, name).set("spec", { replicas: 1, selector: { matchLabels: { app: name } } });
}
