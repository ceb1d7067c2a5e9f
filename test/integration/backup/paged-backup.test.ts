// A backup whose LISTs take several pages (a server with --client-page-size 25, a namespace of 130
// ConfigMaps and a label-selected half of them) against the REAL API server: every object is in
// the tarball exactly once, with the JSON the API server serves, and the backup's log counts each
// resource's items across its pages, as one LIST.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backup, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { GVR } from "../../../host/src/kube/gvr.ts";
import { createKubeClient, type HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import type { RunningServer } from "../../../host/src/server/server.ts";
import { itemPaths } from "../../helpers/velero-tarball.ts";
import { backupDir, backupTarball, createNamespaces, runToEnd, setUpVeleroEnv, startVeleroServer, tearDownVelero, type VeleroTestEnv } from "../../helpers/velero-server.ts";

const suffix = randomBytes(3).toString("hex");
const APP = `vt-pg-app-${suffix}`;
const VELERO = `vt-pg-velero-${suffix}`;
const COUNT = 130;
const PAGE = 25;

describe("a backup whose LISTs take several pages (real API server, --client-page-size 25)", () => {
  let env: VeleroTestEnv | undefined;
  let paged: HttpKubeClient | undefined;
  let server: RunningServer | undefined;

  beforeAll(async () => {
    env = await setUpVeleroEnv("vt-paged-");
    await createNamespaces(env.kube, [APP, VELERO]);
    for (let i = 0; i < COUNT; i++) {
      const name = `cm-${String(i).padStart(3, "0")}`;
      await env.kube.create(GVR.configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: APP, labels: { half: String(i % 2) } }, data: { i: String(i) } } as UnstructuredItem);
    }
    // the server's client pages its LISTs as `velero server --client-page-size 25` does
    paged = createKubeClient({ kubeconfig: env.endpoints.kubeconfig, pageSize: PAGE });
    server = await startVeleroServer({ ...env, kube: paged }, VELERO, { logEnv: "VT_BACKUP_LOG" });
  }, 300_000);

  afterAll(async () => {
    await tearDownVelero(env, server, [APP, VELERO]);
    await paged?.close();
  });

  const configMapsIn = (backup: string): string[] =>
    itemPaths(backupTarball(env?.bucketRoot ?? "", backup))
      .filter((p) => p.startsWith(`resources/configmaps/namespaces/${APP}/`))
      .sort();
  const logOf = (backup: string): string => gunzipSync(readFileSync(join(backupDir(env?.bucketRoot ?? "", backup), `${backup}-logs.gz`))).toString("utf8");

  it("backs up every object of a namespace listed in 6 pages exactly once, with the JSON the API server serves", async () => {
    const kube = env?.kube as HttpKubeClient;
    const b = await runToEnd<Backup>(kube, "Backup", VELERO, "paged", { includedNamespaces: [APP], includedResources: ["configmaps"] });
    expect(b.status).toMatchObject({ phase: "Completed", progress: { totalItems: COUNT + 1, itemsBackedUp: COUNT + 1 } });
    const served = (await kube.list(GVR.configMaps, { namespace: APP })).items;
    expect(served).toHaveLength(COUNT + 1); // + kube-root-ca.crt
    expect(configMapsIn("paged")).toEqual(served.map((c) => `resources/configmaps/namespaces/${APP}/${c.metadata.name}.json`).sort());
    const entries = backupTarball(env?.bucketRoot ?? "", "paged");
    const cm = entries.find((e) => e.name === `resources/configmaps/namespaces/${APP}/cm-077.json`);
    const live = served.find((c) => c.metadata.name === "cm-077");
    expect(JSON.parse(cm?.data.toString("utf8") ?? "{}")).toEqual(live);
    expect(logOf("paged")).toMatch(new RegExp(`msg="Retrieved ${COUNT + 1} items" backup=${VELERO}/paged .*resource=configmaps`));
  });

  it("pages a label-selected LIST too: the selected half, all of it", async () => {
    const kube = env?.kube as HttpKubeClient;
    const b = await runToEnd<Backup>(kube, "Backup", VELERO, "paged-half", { includedNamespaces: [APP], includedResources: ["configmaps"], labelSelector: { matchLabels: { half: "1" } } });
    expect(b.status?.phase).toBe("Completed");
    expect(configMapsIn("paged-half")).toEqual(
      Array.from({ length: COUNT }, (_, i) => i)
        .filter((i) => i % 2 === 1)
        .map((i) => `resources/configmaps/namespaces/${APP}/cm-${String(i).padStart(3, "0")}.json`),
    );
    expect(logOf("paged-half")).toMatch(new RegExp(`msg="Retrieved ${COUNT / 2} items" backup=${VELERO}/paged-half .*resource=configmaps`));
  });
});
