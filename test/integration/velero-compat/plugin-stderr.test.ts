// A TypeScript plugin that prints what go-plugin's host cannot take, run by real Velero v1.18.1.
//
// go-plugin (the host side inside `velero server`) parses every stderr line of a plugin that is a
// JSON object as an hclog entry and reads "@message", "@level" and "@timestamp" with unchecked
// string assertions: a line such as {"@message": 42} panics the whole Velero server. The SDK sends
// console.log/process.stdout.write to stderr and guards everything written through
// process.stderr.write (plugins/sdk/src/stderr-guard.ts). Here the fixture plugin's
// BackupItemAction, on a pod named "loud", prints such lines with console.log, process.stderr.write
// and a JSON line split over two process.stdout.write calls; real Velero must back the pod up, keep
// running, and log the printed text.
import { mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import { installCrds } from "../../../host/src/kube/crds.ts";
import { GVR } from "../../../host/src/kube/gvr.ts";
import { HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { loadKubeConfig } from "../../../host/src/kube/kube-config.ts";
import { loadEndpoints } from "../../helpers/endpoints.ts";
import { buildFixturePlugin } from "../../plugin-protocol/helpers.ts";
import { eventually, motoS3, type RealVeleroServer, startRealVeleroBeside, suffix, waitTerminal } from "./harness.ts";

const SFX = suffix();
const BUCKET = `vt-stderr-${SFX}`;
const GO_NS = `vt-stderr-velero-${SFX}`;
const APP = `vt-stderr-app-${SFX}`;

let kube: HttpKubeClient;
let s3: S3Client;
let work: string;
let velero: RealVeleroServer | undefined;

beforeAll(async () => {
  const ep = loadEndpoints();
  work = await mkdtemp(join(tmpdir(), "vt-stderr-compat-"));
  kube = new HttpKubeClient(loadKubeConfig({ kubeconfig: ep.kubeconfig }));
  await installCrds(kube);
  s3 = motoS3(ep);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await kube.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: APP } });
  for (const name of ["loud", "quiet"]) {
    await kube.create(GVR.pods, {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { namespace: APP, name },
      spec: { containers: [{ name: "app", image: "registry.invalid/app:1.0" }] },
    } as unknown as UnstructuredItem);
  }
  const fixture = await buildFixturePlugin();
  velero = (
    await startRealVeleroBeside(kube, {
      namespace: GO_NS,
      bucket: BUCKET,
      work,
      location: { backupSyncPeriod: "0s" },
      extraArgs: ["--store-validation-frequency=3s"],
      // beside the Go AWS plugin, in the same plugin dir
      beforeStart: async () => void (await symlink(fixture, join(work, "go-plugins", "velero-plugin-fixture"))),
    })
  ).server;
}, 300_000);

afterAll(async () => {
  await velero?.stop();
  if (kube) {
    for (const ns of [GO_NS, APP]) await kube.delete(GVR.namespaces, ns).catch(() => undefined);
    await kube.close();
  }
  s3?.destroy();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("a TS plugin printing JSON that go-plugin's host cannot parse, under real Velero v1.18.1", () => {
  it("Velero backs up the pod, keeps running, and logs the printed lines as messages", async () => {
    const logs = (): string => velero?.logTail() ?? "";
    // (a backup Velero meets before its first validation of the location fails validation)
    await eventually(`location ${GO_NS}/default to be Available`, async () => ((await kube.get(GVR.backupStorageLocations, "default", GO_NS))?.["status"] as { phase?: string } | undefined)?.phase === "Available", 60_000, logs);
    await kube.create(GVR.backups, {
      apiVersion: "velero.io/v1",
      kind: "Backup",
      metadata: { namespace: GO_NS, name: "loud" },
      spec: { includedNamespaces: [APP], includedResources: ["pods"], snapshotVolumes: false },
    } as unknown as UnstructuredItem);
    const backup = await waitTerminal(kube, GVR.backups, "loud", GO_NS, 120_000, logs);
    const status = backup["status"] as { phase?: string; progress?: { itemsBackedUp?: number } };
    // The fixture's action asks for the pod's PVC too, which does not exist: a warning, not an error.
    expect(status.phase, logs()).toBe("Completed");
    expect(status.progress?.itemsBackedUp).toBe(2);
    // A panic in go-plugin's stderr reader would have ended the server by now.
    expect(velero?.running, logs()).toBe(true);
    const log = velero?.log() ?? "";
    expect(log).not.toContain("panic:");
    for (const printed of ["loud console.log", "loud stderr", "loud partial"]) expect(log, `${printed}\n${logs()}`).toContain(printed);
  });
});
