// Integers beyond 2^53 (an int64 field holding Long.MAX, the usual "keep forever") through backup
// and restore against the real API server: Go keeps them exact as int64; a JS number would turn
// 9223372036854775807 into 9223372036854776000, which the API server then refuses for an int64
// field ("must be of type int64") and which silently changes a schemaless one.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import type { GroupVersionResource } from "../../../host/src/kube/client.ts";
import { GVR } from "../../../host/src/kube/gvr.ts";
import type { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { readVeleroTarball } from "../../helpers/velero-tarball.ts";
import { connect, createNamespace, deleteNamespaceAndWait, RestoreServer, suffix, waitFor } from "./harness.ts";

const tag = suffix();
const group = `big${tag}.example.io`;
const gvr: GroupVersionResource = { group, version: "v1", resource: "ledgers" };
const ns = `big-${tag}`;
const MAX = 9223372036854775807n;
const MIN = -9223372036854775808n;
const ABOVE_2_53 = 9007199254740993n;

let kube: HttpKubeClient;
let server: RestoreServer;

beforeAll(async () => {
  kube = await connect();
  server = await RestoreServer.start({ kube });
  await kube.create(GVR.customResourceDefinitions, {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `ledgers.${group}` },
    spec: {
      group,
      names: { kind: "Ledger", listKind: "LedgerList", plural: "ledgers", singular: "ledger" },
      scope: "Namespaced",
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: "object",
              properties: {
                spec: {
                  type: "object",
                  properties: { retentionMs: { type: "integer", format: "int64" }, free: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
                },
              },
            },
          },
        },
      ],
    },
  } as unknown as UnstructuredItem);
  await waitFor("the Ledger CRD to be served", async () => (await kube.list(gvr, { namespace: "default" }).then(() => true).catch(() => undefined)));
  await createNamespace(kube, ns);
  await kube.create(gvr, {
    apiVersion: `${group}/v1`,
    kind: "Ledger",
    metadata: { name: "forever", namespace: ns },
    spec: { retentionMs: MAX, free: { above: ABOVE_2_53, min: MIN, small: 42, float: 0.1 } },
  } as unknown as UnstructuredItem);
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await kube?.delete(GVR.namespaces, ns).catch(() => undefined);
  // The CRD (a name of this run's own) stays: real Velero servers of the velero-compat suites,
  // running meanwhile, cache discovery for 5 minutes and count a LIST of a vanished resource as an
  // error of their backups, which would then differ from ours.
});

describe("int64 values beyond 2^53", () => {
  it("are read exactly from the API server", async () => {
    const ledger = (await kube.get(gvr, "forever", ns)) as unknown as { spec: Record<string, unknown> };
    expect(ledger.spec).toEqual({ retentionMs: MAX, free: { above: ABOVE_2_53, min: MIN, small: 42, float: 0.1 } });
  });

  it("are written exactly into the backup tarball and restored exactly (velero-ts's own backup)", async () => {
    await server.backupWithEngine(`big-${tag}`, { includedNamespaces: [ns] });
    const entries = readVeleroTarball(readFileSync(join(server.bucketRoot, server.bucket, "backups", `big-${tag}`, `big-${tag}.tar.gz`)));
    const item = entries.find((e) => e.name === `resources/ledgers.${group}/namespaces/${ns}/forever.json`);
    expect(item?.data.toString("utf8")).toContain(`"spec":{"free":{"above":9007199254740993,"float":0.1,"min":-9223372036854775808,"small":42},"retentionMs":9223372036854775807}`);

    await deleteNamespaceAndWait(kube, ns);
    const restore = await server.restore(`big-${tag}`, { backupName: `big-${tag}`, includedNamespaces: [ns] });
    expect(restore.status?.phase).toBe("Completed");
    expect(restore.status).not.toHaveProperty("errors");
    const ledger = (await kube.get(gvr, "forever", ns)) as unknown as { spec: Record<string, unknown> };
    expect(ledger.spec).toEqual({ retentionMs: MAX, free: { above: ABOVE_2_53, min: MIN, small: 42, float: 0.1 } });
  });
});
