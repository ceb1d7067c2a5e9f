import { describe, expect, it } from "vitest";
import type { Backup } from "@velero-ts/plugin-sdk";
import { encodeBackupMetadata } from "./go-backup-json.js";

/**
 * Backups as a Kubernetes client reads them: every field velero-backup.json can carry, in orders
 * unlike Go's (maps unsorted, integer-like label keys, managedFields entries out of order, times
 * with a fraction or an offset, durations Go writes otherwise, zeros and empty lists omitempty
 * drops), and a minimal one (the structs Go always writes).
 */
const FIXTURES = JSON.parse(String.raw`
[
  {
    "apiVersion": "velero.io/v1",
    "kind": "Backup",
    "metadata": {
      "name": "b1",
      "namespace": "velero",
      "uid": "0b8c7f0e-4a52-4c1e-9d1e-2f6d2a3b4c5d",
      "resourceVersion": "12345",
      "generation": 2,
      "creationTimestamp": "2026-01-02T03:04:05Z",
      "labels": { "z": "last", "10": "ten", "9": "nine", "velero.io/storage-location": "default", "a<b": "x&y" },
      "annotations": { "velero.io/source-cluster-k8s-version": "v1.36.0", "note": "<html> & \u2028" },
      "finalizers": ["velero.io/backup-finalizer"],
      "ownerReferences": [{ "apiVersion": "velero.io/v1", "kind": "Schedule", "name": "daily", "uid": "u-1", "controller": true }],
      "managedFields": [
        {
          "manager": "velero-server",
          "operation": "Update",
          "apiVersion": "velero.io/v1",
          "time": "2026-01-02T03:04:06Z",
          "fieldsType": "FieldsV1",
          "fieldsV1": { "f:spec": { ".": {}, "f:ttl": {}, "f:hooks": {} }, "f:metadata": { "f:labels": { "f:z": {}, ".": {} } } }
        },
        { "subresource": "status", "fieldsV1": { "f:status": {} }, "fieldsType": "FieldsV1", "time": "2026-01-02T03:04:07Z", "apiVersion": "velero.io/v1", "operation": "Update", "manager": "velero-server" }
      ]
    },
    "spec": {
      "metadata": { "labels": { "b": "2", "a": "1" } },
      "includedNamespaces": ["app", "other"],
      "excludedResources": [],
      "labelSelector": { "matchExpressions": [{ "operator": "In", "key": "tier", "values": ["db", "web"] }, { "key": "gone", "operator": "DoesNotExist" }], "matchLabels": { "x": "1" } },
      "orLabelSelectors": [{ "matchLabels": { "app": "web" } }, {}],
      "snapshotVolumes": false,
      "ttl": "24h",
      "includeClusterResources": true,
      "hooks": { "resources": [{ "name": "h1", "includedNamespaces": ["app"], "pre": [{ "exec": { "command": ["/bin/sh", "-c", "echo <hi>"], "timeout": "90s", "onError": "Fail" } }], "post": [{ "exec": { "container": "c", "command": [] } }] }] },
      "storageLocation": "default",
      "volumeSnapshotLocations": ["vsl"],
      "defaultVolumesToFsBackup": false,
      "orderedResources": { "pods": "app/a,app/b", "configmaps": "app/c" },
      "csiSnapshotTimeout": "10m",
      "resourcePolicy": { "kind": "configmap", "name": "policy" },
      "snapshotMoveData": false,
      "datamover": "",
      "uploaderConfig": { "parallelFilesUpload": 0 }
    },
    "status": {
      "version": 1,
      "formatVersion": "1.1.0",
      "expiration": "2026-01-03T03:04:05.987Z",
      "phase": "Completed",
      "queuePosition": 0,
      "validationErrors": [],
      "startTimestamp": "2026-01-02T05:04:05+02:00",
      "completionTimestamp": "2026-01-02T03:04:09Z",
      "warnings": 2,
      "errors": 0,
      "failureReason": "",
      "progress": { "itemsBackedUp": 3, "totalItems": 3 },
      "backupItemOperationsAttempted": 0,
      "hookStatus": { "hooksAttempted": 0, "hooksFailed": 0 }
    }
  },
  { "metadata": { "name": "minimal", "namespace": "velero" }, "spec": {}, "status": {} }
]
`) as Backup[];

/**
 * What Velero v1.18.1 writes for FIXTURES: a scratch Go program in a copy of the velero118 peer
 * module (test/peers/go/velero118, the same Velero and apimachinery) decoded each fixture with
 * json.Unmarshal into a velerov1.Backup and wrote it with pkg/util/encode.To(&backup, "json", buf),
 * as persistBackup and the backup finalizer do (the program is not kept in the repository).
 */
const GO_GOLDEN = [
  String.raw`{
  "kind": "Backup",
  "apiVersion": "velero.io/v1",
  "metadata": {
    "name": "b1",
    "namespace": "velero",
    "uid": "0b8c7f0e-4a52-4c1e-9d1e-2f6d2a3b4c5d",
    "resourceVersion": "12345",
    "generation": 2,
    "creationTimestamp": "2026-01-02T03:04:05Z",
    "labels": {
      "10": "ten",
      "9": "nine",
      "a\u003cb": "x\u0026y",
      "velero.io/storage-location": "default",
      "z": "last"
    },
    "annotations": {
      "note": "\u003chtml\u003e \u0026 \u2028",
      "velero.io/source-cluster-k8s-version": "v1.36.0"
    },
    "ownerReferences": [
      {
        "apiVersion": "velero.io/v1",
        "kind": "Schedule",
        "name": "daily",
        "uid": "u-1",
        "controller": true
      }
    ],
    "finalizers": [
      "velero.io/backup-finalizer"
    ],
    "managedFields": [
      {
        "manager": "velero-server",
        "operation": "Update",
        "apiVersion": "velero.io/v1",
        "time": "2026-01-02T03:04:06Z",
        "fieldsType": "FieldsV1",
        "fieldsV1": {
          "f:spec": {
            ".": {},
            "f:ttl": {},
            "f:hooks": {}
          },
          "f:metadata": {
            "f:labels": {
              "f:z": {},
              ".": {}
            }
          }
        }
      },
      {
        "manager": "velero-server",
        "operation": "Update",
        "apiVersion": "velero.io/v1",
        "time": "2026-01-02T03:04:07Z",
        "fieldsType": "FieldsV1",
        "fieldsV1": {
          "f:status": {}
        },
        "subresource": "status"
      }
    ]
  },
  "spec": {
    "metadata": {
      "labels": {
        "a": "1",
        "b": "2"
      }
    },
    "includedNamespaces": [
      "app",
      "other"
    ],
    "labelSelector": {
      "matchLabels": {
        "x": "1"
      },
      "matchExpressions": [
        {
          "key": "tier",
          "operator": "In",
          "values": [
            "db",
            "web"
          ]
        },
        {
          "key": "gone",
          "operator": "DoesNotExist"
        }
      ]
    },
    "orLabelSelectors": [
      {
        "matchLabels": {
          "app": "web"
        }
      },
      {}
    ],
    "snapshotVolumes": false,
    "ttl": "24h0m0s",
    "includeClusterResources": true,
    "hooks": {
      "resources": [
        {
          "name": "h1",
          "includedNamespaces": [
            "app"
          ],
          "pre": [
            {
              "exec": {
                "command": [
                  "/bin/sh",
                  "-c",
                  "echo \u003chi\u003e"
                ],
                "onError": "Fail",
                "timeout": "1m30s"
              }
            }
          ],
          "post": [
            {
              "exec": {
                "container": "c",
                "command": [],
                "timeout": "0s"
              }
            }
          ]
        }
      ]
    },
    "storageLocation": "default",
    "volumeSnapshotLocations": [
      "vsl"
    ],
    "defaultVolumesToFsBackup": false,
    "orderedResources": {
      "configmaps": "app/c",
      "pods": "app/a,app/b"
    },
    "csiSnapshotTimeout": "10m0s",
    "itemOperationTimeout": "0s",
    "resourcePolicy": {
      "apiGroup": null,
      "kind": "configmap",
      "name": "policy"
    },
    "snapshotMoveData": false,
    "uploaderConfig": {}
  },
  "status": {
    "version": 1,
    "formatVersion": "1.1.0",
    "expiration": "2026-01-03T03:04:05Z",
    "phase": "Completed",
    "startTimestamp": "2026-01-02T03:04:05Z",
    "completionTimestamp": "2026-01-02T03:04:09Z",
    "warnings": 2,
    "progress": {
      "totalItems": 3,
      "itemsBackedUp": 3
    },
    "hookStatus": {}
  }
}`,
  String.raw`{
  "kind": "Backup",
  "apiVersion": "velero.io/v1",
  "metadata": {
    "name": "minimal",
    "namespace": "velero",
    "creationTimestamp": null
  },
  "spec": {
    "metadata": {},
    "ttl": "0s",
    "hooks": {},
    "csiSnapshotTimeout": "0s",
    "itemOperationTimeout": "0s"
  },
  "status": {}
}`,
];

describe("encodeBackupMetadata (velero-backup.json)", () => {
  it.each(FIXTURES.map((b, i) => [b.metadata.name, i] as const))("writes %s byte for byte as Velero's encode.To(backup, \"json\") does", (_name, i) => {
    expect(encodeBackupMetadata(FIXTURES[i] as Backup)).toBe(GO_GOLDEN[i]);
  });

  it("keeps fields the Go structs do not know (a newer CRD's) after the known ones of their object", () => {
    const backup = { metadata: { name: "b", namespace: "velero" }, spec: { futureField: { b: 1, a: [] }, ttl: "1h" }, status: { phase: "Completed", newCounter: 0 } } as unknown as Backup;
    expect(JSON.parse(encodeBackupMetadata(backup))).toEqual({
      kind: "Backup",
      apiVersion: "velero.io/v1",
      metadata: { name: "b", namespace: "velero", creationTimestamp: null },
      spec: { metadata: {}, ttl: "1h0m0s", hooks: {}, csiSnapshotTimeout: "0s", itemOperationTimeout: "0s", futureField: { b: 1, a: [] } },
      status: { phase: "Completed", newCounter: 0 },
    });
    expect(encodeBackupMetadata(backup)).toContain('"itemOperationTimeout": "0s",\n    "futureField": {\n      "b": 1,\n      "a": []\n    }\n  },');
  });
});
