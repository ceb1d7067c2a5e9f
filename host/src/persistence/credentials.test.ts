import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, watch, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GVR } from "../kube/gvr.js";
import { forSecret } from "../testing/builders.js";
import { FakeKubeClient } from "../testing/fake-kube-client.js";
import { deadPid } from "../testing/processes.js";
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
  it("removes the temp files of writers that no longer run, whatever their age; keeps a live writer's and everything else", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vt-cred-"));
    const store = new CredentialFileStore({ kube: new FakeKubeClient(), namespace: "velero", directory: dir });
    const ns = join(dir, "velero");
    mkdirSync(ns);
    const deadWriter = `.creds-cloud.${deadPid()}.0123456789ab.tmp`;
    const liveWriter = `.creds-cloud.${process.ppid}.ba9876543210.tmp`;
    const ownWrite = `.creds-cloud.${process.pid}.aaaaaaaaaaaa.tmp`;
    const lookAlikes = ["creds-cloud", ".creds-cloud.tmp", "notes.0123456789ab.tmp", `.creds-cloud.${deadPid()}.tmp`];
    for (const name of [deadWriter, liveWriter, ownWrite, ...lookAlikes]) writeFileSync(join(ns, name), "x");
    const longAgo = new Date(Date.now() - 10 * 60_000);
    for (const name of [liveWriter, ownWrite, ...lookAlikes]) utimesSync(join(ns, name), longAgo, longAgo);

    // the dead writer's file is seconds old and goes; the live ones are old and stay
    expect(await store.sweepStaleTempFiles()).toEqual([deadWriter]);
    expect(readdirSync(ns).sort()).toEqual([liveWriter, ownWrite, ...lookAlikes].sort());
  });

  it("removes an earlier version's pid-less temp file once it is a minute old", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vt-cred-"));
    const store = new CredentialFileStore({ kube: new FakeKubeClient(), namespace: "velero", directory: dir });
    const ns = join(dir, "velero");
    mkdirSync(ns);
    const old = ".creds-cloud.0123456789ab.tmp";
    const young = ".creds-cloud.ba9876543210.tmp";
    for (const name of [old, young]) writeFileSync(join(ns, name), "x");
    const now = Date.now();
    utimesSync(join(ns, old), new Date(now - 10 * 60_000), new Date(now - 10 * 60_000));

    expect(await store.sweepStaleTempFiles(now)).toEqual([old]);
    expect(readdirSync(ns)).toEqual([young]);
    // once it is old enough, the other one goes too
    expect(await store.sweepStaleTempFiles(now + 2 * 60_000)).toEqual([young]);
  });

  it("a write in progress is named after its process, so a start beside it keeps it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vt-cred-"));
    const kube = new FakeKubeClient().seed(GVR.secrets, forSecret("velero", "creds", { cloud: "v" }).build());
    const store = new CredentialFileStore({ kube, namespace: "velero", directory: dir });
    const ns = join(dir, "velero");
    mkdirSync(ns);
    // a temp file path() made cannot be renamed over a directory of the file's name: it is left
    // behind for a moment by the failed write (then unlinked); catch its name on the way
    mkdirSync(join(ns, "creds-cloud"));
    const seen: string[] = [];
    const watcher = watch(ns, (_event, name) => {
      if (name && name.endsWith(".tmp")) seen.push(name);
    });
    try {
      await expect(store.path({ name: "creds", key: "cloud" })).rejects.toThrow(/unable to write credentials to store/);
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      watcher.close();
    }
    expect(seen.length).toBeGreaterThan(0);
    for (const name of seen) expect(name).toMatch(new RegExp(`^\\.creds-cloud\\.${process.pid}\\.[0-9a-f]{12}\\.tmp$`));
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

