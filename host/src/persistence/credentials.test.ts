import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GVR } from "../kube/gvr.js";
import { forSecret } from "../testing/builders.js";
import { FakeKubeClient } from "../testing/fake-kube-client.js";
import { CredentialFileStore } from "./credentials.js";

describe("CredentialFileStore.path", () => {
  it("replaces the file whole: a reader holding the old file still reads all of the old value, never a truncated one", async () => {
    const kube = new FakeKubeClient().seed(GVR.secrets, forSecret("velero", "creds", { cloud: "[default]\nkey=old\n" }).build());
    const dir = mkdtempSync(join(tmpdir(), "vt-cred-"));
    const store = new CredentialFileStore({ kube, namespace: "velero", directory: dir });
    const file = await store.path({ name: "creds", key: "cloud" });

    // a plugin that opened the file just before the next writer (a backup, a restore, the validator)
    const reader = await open(file, "r");
    try {
      await kube.update(GVR.secrets, forSecret("velero", "creds", { cloud: "[default]\nkey=new\n" }).build());
      expect(await store.path({ name: "creds", key: "cloud" })).toBe(file);
      expect((await reader.readFile()).toString()).toBe("[default]\nkey=old\n");
    } finally {
      await reader.close();
    }
    expect(readFileSync(file, "utf8")).toBe("[default]\nkey=new\n");
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(readdirSync(join(dir, "velero"))).toEqual(["creds-cloud"]); // no temp file left behind
  });

  it("concurrent writers of the same key leave one whole file and no temp files", async () => {
    const kube = new FakeKubeClient().seed(GVR.secrets, forSecret("velero", "creds", { cloud: "x".repeat(100_000) }).build());
    const dir = mkdtempSync(join(tmpdir(), "vt-cred-"));
    const store = new CredentialFileStore({ kube, namespace: "velero", directory: dir });
    const paths = await Promise.all(Array.from({ length: 20 }, () => store.path({ name: "creds", key: "cloud" })));
    expect(new Set(paths).size).toBe(1);
    expect(readFileSync(paths[0] as string, "utf8")).toHaveLength(100_000);
    expect(readdirSync(join(dir, "velero"))).toEqual(["creds-cloud"]);
  });

  it("names the file and the Secret when the file cannot be written", async () => {
    const kube = new FakeKubeClient().seed(GVR.secrets, forSecret("velero", "creds", { cloud: "v" }).build());
    const dir = mkdtempSync(join(tmpdir(), "vt-cred-"));
    const store = new CredentialFileStore({ kube, namespace: "velero", directory: join(dir, "f") });
    // a file where the namespace's directory should be
    await (await open(join(dir, "f"), "w")).close();
    await expect(store.path({ name: "creds", key: "cloud" })).rejects.toThrow(/^unable to write credentials to store: .*f\/velero\/creds-cloud \(Secret "creds" key "cloud"\)/);
  });
});

describe("CredentialFileStore.sweepStaleTempFiles", () => {
  it("removes the temp files a killed writer left, keeps younger ones (a live writer's) and everything else", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vt-cred-"));
    const store = new CredentialFileStore({ kube: new FakeKubeClient(), namespace: "velero", directory: dir });
    const ns = join(dir, "velero");
    mkdirSync(ns);
    const old = ".creds-cloud.0123456789ab.tmp";
    const young = ".creds-cloud.ba9876543210.tmp";
    for (const name of [old, young, "creds-cloud", ".creds-cloud.tmp", "notes.0123456789ab.tmp"]) writeFileSync(join(ns, name), "x");
    const now = Date.now();
    const longAgo = new Date(now - 10 * 60_000);
    for (const name of [old, "creds-cloud", ".creds-cloud.tmp", "notes.0123456789ab.tmp"]) utimesSync(join(ns, name), longAgo, longAgo);

    expect(await store.sweepStaleTempFiles(now)).toEqual([old]);
    expect(readdirSync(ns).sort()).toEqual([".creds-cloud.ba9876543210.tmp", ".creds-cloud.tmp", "creds-cloud", "notes.0123456789ab.tmp"]);
    // once it is old enough, the other one goes too
    expect(await store.sweepStaleTempFiles(now + 2 * 60_000)).toEqual([young]);
  });

  it("a store directory that does not exist yet is nothing to sweep", async () => {
    const store = new CredentialFileStore({ kube: new FakeKubeClient(), namespace: "velero", directory: join(mkdtempSync(join(tmpdir(), "vt-cred-")), "none") });
    expect(await store.sweepStaleTempFiles()).toEqual([]);
  });

  it("names the directory when it cannot be read", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vt-cred-"));
    writeFileSync(join(dir, "velero"), "a file where the namespace's directory should be");
    const store = new CredentialFileStore({ kube: new FakeKubeClient(), namespace: "velero", directory: dir });
    await expect(store.sweepStaleTempFiles()).rejects.toThrow(/^unable to list the credentials store .*\/velero for stale temp files: ENOTDIR/);
  });
});
