import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KubeApiError } from "../kube/errors.js";
import { GVR } from "../kube/gvr.js";
import { forBackup, forDeployment, forNamespace, forObject, forPod, forSecret } from "../testing/builders.js";
import { readTarball } from "../testing/read-tarball.js";
import { createTestCli } from "./testing/run-cli.js";

const STAMP = String.raw`\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z\.\d{4}`;

function cluster(options: { deployment?: boolean } = {}) {
  const t = createTestCli();
  const kube = t.kube;
  kube.seed(GVR.namespaces, forNamespace("velero").build(), forNamespace("other").build());
  if (options.deployment !== false) kube.seed({ group: "apps", version: "v1", resource: "deployments" }, forDeployment("velero", "velero").labels({ component: "velero" }).build());
  const pod = forPod("velero", "velero-7d9f", { containers: ["velero"] }).build();
  (pod.spec as { initContainers?: object[] }).initContainers = [{ name: "velero-plugin-for-aws", image: "velero/velero-plugin-for-aws" }];
  kube.seed(GVR.pods, pod);
  kube.containerLogs.set("velero/velero-7d9f/velero", 'time="2024-05-01T11:59:00Z" level=info msg="server started"\n');
  kube.seed(GVR.backups, forBackup("velero", "b1").phase("Completed").build(), forBackup("other", "elsewhere").build());
  kube.seed(GVR.restores, forObject("velero.io/v1", "Restore", "velero", "r1").set("spec", { backupName: "b1" }).set("status", { phase: "Completed" }).build());
  kube.seed(
    GVR.downloadRequests,
    forObject("velero.io/v1", "DownloadRequest", "velero", "b1-dl")
      .set("spec", { target: { kind: "BackupContents", name: "b1" } })
      .set("status", { phase: "Processed", downloadURL: "https://s3.example/b/backups/b1/b1.tar.gz?X-Amz-Signature=LIVESIGNATURE" })
      .build(),
  );
  kube.seed(GVR.secrets, forSecret("velero", "cloud-credentials", { cloud: Buffer.from("aws_secret_access_key=TOPSECRET").toString("base64") }).build());
  return t;
}

describe("velero debug", () => {
  it("bundles the namespace's velero.io objects, its pods and their logs, version, and the backup's and restore's describe and logs", async () => {
    const t = cluster();
    const r = await t.run("debug", "--backup", "b1", "--restore", "r1", "--output", "out/bundle.tar.gz", "-n", "velero");
    const path = join(t.deps.cwd, "out", "bundle.tar.gz");
    expect(r.stdout).toBe(
      [
        "Collecting velero resources in namespace: velero",
        "Collecting velero deployment logs in namespace: velero",
        "Collecting log and information for backup: b1",
        "Collecting log and information for restore: r1",
        `Generated debug information bundle: ${path}`,
        "",
      ].join("\n"),
    );
    expect(r.code).toBe(0);
    // crashd reports a container whose log cannot be read, and goes on
    expect(r.stderr).toContain("Failed to fetch container logs for pod velero-7d9f: container velero-plugin-for-aws is not valid for pod velero-7d9f");
    const entries = await readTarball(path);
    const names = [...entries.keys()];
    expect(names.every((n) => n.startsWith("velero-bundle/"))).toBe(true);

    const backups = names.find((n) => new RegExp(`^velero-bundle/kubecapture/velero\\.io_v1/velero/backups-${STAMP}\\.json$`).test(n));
    expect(backups, names.join("\n")).toBeDefined();
    const list = JSON.parse(entries.get(backups as string)?.data ?? "") as { kind: string; items: { metadata: { name: string } }[] };
    expect(list.kind).toBe("BackupList");
    expect(list.items.map((i) => i.metadata.name)).toEqual(["b1"]); // not the other namespace's
    for (const resource of ["restores", "schedules", "backupstoragelocations", "downloadrequests"]) {
      expect(names.some((n) => n.startsWith(`velero-bundle/kubecapture/velero.io_v1/velero/${resource}-`))).toBe(true);
    }
    expect(names.some((n) => new RegExp(`^velero-bundle/kubecapture/core_v1/velero/pods-${STAMP}\\.json$`).test(n))).toBe(true);
    expect(entries.get("velero-bundle/kubecapture/core_v1/velero/velero-7d9f/velero/velero.log")?.data).toBe('time="2024-05-01T11:59:00Z" level=info msg="server started"\n');
    expect(names.some((n) => n.includes("velero-plugin-for-aws/"))).toBe(false);

    expect(entries.get("velero-bundle/version.txt")?.data).toContain("Client:\n\tVersion: v1.18.0-ts.0.1.0\n");
    expect(entries.get("velero-bundle/backup_describe_b1.txt")?.data).toMatch(/^Name:\s+b1$/m);
    expect(entries.get("velero-bundle/restore_describe_r1.txt")?.data).toMatch(/^Name:\s+r1$/m);
    // (no server here: the logs files hold what `velero backup logs` printed, its error included)
    expect(entries.has("velero-bundle/backup_b1.log")).toBe(true);
    expect(entries.has("velero-bundle/restore_r1.log")).toBe(true);

    // Secrets are never read; a DownloadRequest's live signed URL is not kept
    const all = [...entries.values()].map((e) => e.data).join("\n");
    expect(all).not.toContain("LIVESIGNATURE");
    const requests = names.find((n) => n.startsWith("velero-bundle/kubecapture/velero.io_v1/velero/downloadrequests-")) as string;
    expect(JSON.parse(entries.get(requests)?.data ?? "")).toMatchObject({ items: [{ metadata: { name: "b1-dl" }, status: { phase: "Processed", downloadURL: "[redacted: a signed URL]" } }] });
    expect(all).not.toContain("TOPSECRET");
    expect(all).not.toContain(Buffer.from("aws_secret_access_key=TOPSECRET").toString("base64"));
    expect(t.kube.actions.some((a) => a.resource === "secrets")).toBe(false);
  });

  it("refuses a backup or restore that does not exist, naming it, and writes no bundle", async () => {
    const t = cluster();
    const r = await t.run("debug", "--backup", "nope", "-n", "velero");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('backups.velero.io "nope" not found');
    const r2 = await t.run("debug", "--restore", "gone", "-n", "velero");
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain('restores.velero.io "gone" not found');
    expect(readdirSync(t.deps.cwd).filter((f) => f.includes("bundle"))).toEqual([]);
  });

  it("without a velero Deployment (a server outside the cluster) warns and still writes the bundle, named by the time", async () => {
    const t = cluster({ deployment: false });
    const r = await t.run("debug", "-n", "velero");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("Warning: velero deployment does not exist in namespace: velero");
    const made = readdirSync(t.deps.cwd).filter((f) => f.startsWith("bundle-"));
    expect(made).toHaveLength(1);
    expect(made[0]).toMatch(/^bundle-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}\.tar\.gz$/);
    const entries = await readTarball(join(t.deps.cwd, made[0] as string));
    expect([...entries.keys()].some((n) => n.startsWith("velero-bundle/backup_"))).toBe(false);
    expect(existsSync(join(t.deps.cwd, made[0] as string))).toBe(true);
  });

  it("a LIST the API server refuses (RBAC, say) is reported and the rest is still bundled", async () => {
    const t = cluster();
    t.kube.failNext("list", "schedules", new KubeApiError({ statusCode: 403, reason: "Forbidden", message: 'schedules.velero.io is forbidden: User "bob" cannot list resource "schedules"' }));
    t.kube.failNext("list", "pods", new KubeApiError({ statusCode: 403, reason: "Forbidden", message: 'pods is forbidden: User "bob" cannot list resource "pods"' }));
    const r = await t.run("debug", "--output", "b.tar.gz", "-n", "velero");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Failed to list schedules.velero.io in namespace velero: schedules.velero.io is forbidden: User "bob" cannot list resource "schedules"');
    expect(r.stderr).toContain('Failed to list pods in namespace velero: pods is forbidden');
    const names = [...(await readTarball(join(t.deps.cwd, "b.tar.gz"))).keys()];
    expect(names.some((n) => n.includes("/schedules-"))).toBe(false);
    expect(names.some((n) => n.includes("/pods-"))).toBe(false);
    expect(names.some((n) => n.includes("velero.io_v1/velero/backups-"))).toBe(true);
    expect(names).toContain("velero-bundle/version.txt");
  });

  it("leaves no partial file when the bundle cannot be written", async () => {
    const t = cluster();
    const r = await t.run("debug", "--output", "no/such/dir/../../../../../../../../proc/bundle.tar.gz", "-n", "velero");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("cannot write the debug bundle /proc/bundle.tar.gz");
  });
});
