import { Readable } from "node:stream";
import { gunzipSync, gzipSync } from "node:zlib";
import { describe, expect, it, vi } from "vitest";
import { forBackup, forBackupStorageLocation, forSecret } from "../testing/builders.js";
import { FakeKubeClient } from "../testing/fake-kube-client.js";
import { MemoryObjectStore } from "../testing/in-memory-object-store.js";
import { GVR } from "../kube/gvr.js";
import { createSilentLogger } from "../shared/logging.js";
import { CredentialFileStore } from "./credentials.js";
import { objectStoreConfigFor } from "./location.js";
import { goOrderedOperations, ObjectBackupStore } from "./object-backup-store.js";
import { mkdtempSync, statSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

function newStore(prefix = "") {
  const objects = new MemoryObjectStore();
  const store = new ObjectBackupStore({ objectStore: objects, bucket: "bkt", prefix, logger: createSilentLogger() });
  return { objects, store };
}

const upload = (name: string) => ({
  name,
  metadata: forBackup("velero", name).phase("Completed").build(),
  contents: Readable.from([Buffer.from("tarball")]),
  log: Readable.from(["line 1\n"]),
  podVolumeBackups: [],
  volumeSnapshots: [],
  itemOperations: [],
  resourceList: { "v1/ConfigMap": ["ns/a"] },
  results: { errors: {}, warnings: {} },
  volumeInfo: [],
});

describe("ObjectBackupStore", () => {
  it("writes exactly Velero's keys under the prefix", async () => {
    const { objects, store } = newStore("/pre/");
    await store.putBackup(upload("b1"));
    const p = "pre/backups/b1/";
    const sideFiles = ["b1-podvolumebackups.json.gz", "b1-volumesnapshots.json.gz", "b1-itemoperations.json.gz", "b1-resource-list.json.gz", "b1-results.gz", "b1-volumeinfo.json.gz"];
    expect([...objects.puts].sort()).toEqual([p + "b1-logs.gz", p + "velero-backup.json", p + "b1.tar.gz", ...sideFiles.map((f) => p + f)].sort());
  });

  it("uploads the files at once: none waits for the tarball (nor for a log still being gzipped)", async () => {
    const { objects, store } = newStore();
    let releaseTarball!: () => void;
    const tarballHeld = new Promise<void>((resolve) => (releaseTarball = resolve));
    let releaseLog!: (b: Buffer) => void;
    const log = new Promise<Buffer>((resolve) => (releaseLog = resolve));
    const contents = Readable.from(
      (async function* () {
        await tarballHeld;
        yield Buffer.from("tarball");
      })(),
    );
    const put = store.putBackup({ ...upload("b1"), log: undefined, gzippedLog: log, contents });
    // every other file is stored while the tarball's body and the log are still to come
    await vi.waitFor(() => expect(objects.puts.length).toBe(7));
    expect(objects.puts).not.toContain("backups/b1/b1.tar.gz");
    expect(objects.puts).not.toContain("backups/b1/b1-logs.gz");
    releaseTarball();
    releaseLog(gzipSync("late line\n"));
    await put;
    expect(objects.get("bkt", "backups/b1/b1.tar.gz")?.toString()).toBe("tarball");
    expect(gunzipSync(objects.get("bkt", "backups/b1/b1-logs.gz") as Buffer).toString()).toBe("late line\n");
  });

  it("encodes side files as gzip JSON with a trailing newline; empty lists as Velero does (null, [] for operations and volume info)", async () => {
    const { objects, store } = newStore();
    await store.putBackup(upload("b1"));
    const text = (key: string) => gunzipSync(objects.get("bkt", key) as Buffer).toString();
    expect(text("backups/b1/b1-volumesnapshots.json.gz")).toBe("null\n");
    expect(text("backups/b1/b1-podvolumebackups.json.gz")).toBe("null\n");
    expect(text("backups/b1/b1-itemoperations.json.gz")).toBe("[]\n");
    expect(text("backups/b1/b1-volumeinfo.json.gz")).toBe("[]\n");
    expect(text("backups/b1/b1-resource-list.json.gz")).toBe('{"v1/ConfigMap":["ns/a"]}\n');
    expect(text("backups/b1/b1-results.gz")).toBe('{"errors":{},"warnings":{}}\n');
    expect(text("backups/b1/b1-logs.gz")).toBe("line 1\n");
    // every .gz starts with the bytes Go's gzip.Writer writes (no mtime, XFL 0, OS 255)
    for (const key of objects.keys("bkt").filter((k) => k.endsWith(".gz") && !k.endsWith(".tar.gz"))) {
      expect((objects.get("bkt", key) as Buffer).subarray(0, 10).toString("hex"), key).toBe("1f8b08000000000000ff");
    }
    const meta = JSON.parse(objects.get("bkt", "backups/b1/velero-backup.json")?.toString() ?? "");
    expect(meta).toMatchObject({ apiVersion: "velero.io/v1", kind: "Backup", status: { phase: "Completed" } });
  });

  it("writes a restore's .gz files with Go's gzip header too", async () => {
    const { objects, store } = newStore();
    await store.putRestoreFiles({ restoreName: "r1", log: Readable.from(["restore line\n"]), results: { errors: {}, warnings: {} }, resourceList: {}, itemOperations: [], volumeInfo: [] });
    const keys = objects.keys("bkt");
    expect(keys.sort()).toEqual(["restores/r1/r1-volumeinfo.json.gz", "restores/r1/restore-r1-itemoperations.json.gz", "restores/r1/restore-r1-logs.gz", "restores/r1/restore-r1-resource-list.json.gz", "restores/r1/restore-r1-results.gz"]);
    for (const key of keys) expect((objects.get("bkt", key) as Buffer).subarray(0, 10).toString("hex"), key).toBe("1f8b08000000000000ff");
    expect(gunzipSync(objects.get("bkt", "restores/r1/restore-r1-logs.gz") as Buffer).toString()).toBe("restore line\n");
  });

  it("writes the Go maps of the results and resource list files with sorted keys, as Go's encoder (struct fields stay in order)", async () => {
    const { objects, store } = newStore();
    await store.putRestoreFiles({
      restoreName: "r1",
      results: { errors: { velero: ["v"], namespaces: { zeta: ["z"], alpha: ["a"] } }, warnings: { namespaces: { b: ["w"], a: ["w"] } } },
      resourceList: { "v1/Secret": ["app/s"], "apps/v1/Deployment": ["app/d"], "v1/ConfigMap": ["app/c"] },
    });
    const text = (key: string) => gunzipSync(objects.get("bkt", key) as Buffer).toString();
    expect(text("restores/r1/restore-r1-results.gz")).toBe('{"errors":{"velero":["v"],"namespaces":{"alpha":["a"],"zeta":["z"]}},"warnings":{"namespaces":{"a":["w"],"b":["w"]}}}\n');
    expect(text("restores/r1/restore-r1-resource-list.json.gz")).toBe('{"apps/v1/Deployment":["app/d"],"v1/ConfigMap":["app/c"],"v1/Secret":["app/s"]}\n');
  });

  it("stores an already gzipped log as it is", async () => {
    const { objects, store } = newStore();
    const gz = gzipSync("line 1\nline 2\n");
    await store.putBackup({ ...upload("b1"), log: undefined, gzippedLog: gz });
    expect(objects.get("bkt", "backups/b1/b1-logs.gz")).toEqual(gz);
  });

  it("deletes the metadata when the tarball upload fails", async () => {
    const { objects, store } = newStore();
    objects.failPutOn = (k) => k.endsWith(".tar.gz");
    await expect(store.putBackup(upload("b1"))).rejects.toThrow(/tar.gz failed/);
    expect(objects.keys("bkt")).toEqual(["backups/b1/b1-logs.gz"]);
  });

  it("deletes what it stored when a side file fails: the log alone is left, as after Velero's failure", async () => {
    const { objects, store } = newStore();
    objects.failPutOn = (k) => k.endsWith("-results.gz");
    await expect(store.putBackup(upload("b1"))).rejects.toThrow(/results.gz failed/);
    expect(objects.keys("bkt")).toEqual(["backups/b1/b1-logs.gz"]);
  });

  it("deletes what it stored when the metadata fails, and throws the metadata's error", async () => {
    const { objects, store } = newStore();
    objects.failPutOn = (k) => k.endsWith("velero-backup.json");
    await expect(store.putBackup(upload("b1"))).rejects.toThrow(/velero-backup.json failed/);
    expect(objects.keys("bkt")).toEqual(["backups/b1/b1-logs.gz"]);
  });

  it("validates top-level directories like IsValid", async () => {
    const { objects, store } = newStore("p");
    await store.putBackup(upload("b1"));
    await expect(store.isValid()).resolves.toBeUndefined();
    await objects.putObject("bkt", "p/junk/x", Readable.from([Buffer.from("x")]));
    await objects.putObject("bkt", "p/loose-file", Readable.from([Buffer.from("x")]));
    await expect(store.isValid()).rejects.toThrow("Backup store contains invalid top-level directories: [junk]");
  });

  it.each([
    ["an empty file", "", "invalid backup metadata backups/bad/velero-backup.json: not JSON"],
    ["not JSON", "not json{", "invalid backup metadata backups/bad/velero-backup.json: not JSON"],
    ["null", "null", "invalid backup metadata backups/bad/velero-backup.json: apiVersion/kind must be velero.io/v1 Backup"],
    ["no metadata", '{"apiVersion":"velero.io/v1","kind":"Backup"}', "invalid backup metadata backups/bad/velero-backup.json: metadata.name is missing"],
  ])("a velero-backup.json that is %s is an error naming its key", async (_what, text, message) => {
    const { objects, store } = newStore();
    await objects.putObject("bkt", "backups/bad/velero-backup.json", Readable.from([Buffer.from(text)]));
    await expect(store.getBackupMetadata("bad")).rejects.toThrow(message);
  });

  it("lists, checks, reads back and deletes backups by listing their objects", async () => {
    const { objects, store } = newStore();
    await store.putBackup(upload("b1"));
    await store.putBackup(upload("b2"));
    expect(await store.listBackups()).toEqual(["b1", "b2"]);
    expect(await store.backupExists("b1")).toBe(true);
    expect((await store.getBackupMetadata("b1")).metadata.name).toBe("b1");
    expect(await store.getBackupVolumeSnapshots("b1")).toEqual([]);
    expect(await store.getBackupResourceList("b1")).toEqual({ "v1/ConfigMap": ["ns/a"] });
    await store.deleteBackup("b1");
    expect(objects.keys("bkt").filter((k) => k.startsWith("backups/b1/"))).toEqual([]);
    expect(await store.backupExists("b2")).toBe(true);
  });

  it("deletes a backup's velero-backup.json first, and nothing more when that fails (never a backup without its tarball)", async () => {
    const { objects, store } = newStore();
    await store.putBackup(upload("b1"));
    const deleted: string[] = [];
    const del = objects.deleteObject.bind(objects);
    let failMetadata = true;
    objects.deleteObject = async (bucket: string, key: string) => {
      if (key.endsWith("velero-backup.json") && failMetadata) throw new Error("store refused");
      deleted.push(key);
      return del(bucket, key);
    };
    await expect(store.deleteBackup("b1")).rejects.toThrow('failed to delete 1 object(s) under "backups/b1/": backups/b1/velero-backup.json: store refused');
    expect(deleted).toEqual([]);
    expect(await store.backupExists("b1")).toBe(true);
    expect(objects.keys("bkt")).toContain("backups/b1/b1.tar.gz");
    failMetadata = false;
    await store.deleteBackup("b1");
    expect(deleted[0]).toBe("backups/b1/velero-backup.json");
    expect(objects.keys("bkt").filter((k) => k.startsWith("backups/b1/"))).toEqual([]);
  });

  it("maps download targets to Velero's keys, including the restore volume info without prefix", () => {
    const { store } = newStore();
    expect(store.keyFor("RestoreVolumeInfo", "r1")).toBe("restores/r1/r1-volumeinfo.json.gz");
    expect(store.keyFor("RestoreLog", "r1")).toBe("restores/r1/restore-r1-logs.gz");
    expect(store.keyFor("BackupContents", "b")).toBe("backups/b/b.tar.gz");
  });
});

describe("objectStoreConfigFor", () => {
  it("passes config, bucket, prefix and a 0640 credentials file, nothing else", async () => {
    const kube = new FakeKubeClient().seed(GVR.secrets, forSecret("velero", "creds", { cloud: "[default]\nkey=x\n" }).build());
    const dir = mkdtempSync(join(tmpdir(), "vt-cred-"));
    const credentials = new CredentialFileStore({ kube, namespace: "velero", directory: dir });
    const bsl = forBackupStorageLocation("velero", "default").bucket("/bkt/", "/pre/").credential("creds", "cloud").spec({ config: { region: "r1" } }).build();
    const { config } = await objectStoreConfigFor(bsl, credentials);
    expect(config).toEqual({ region: "r1", bucket: "bkt", prefix: "pre", credentialsFile: join(dir, "velero", "creds-cloud") });
    expect(statSync(config.credentialsFile as string).mode & 0o777).toBe(0o640);
    expect(readFileSync(config.credentialsFile as string, "utf8")).toBe("[default]\nkey=x\n");
  });

  it("names a credential or CA Secret that cannot be read in Velero's words (the location's status message)", async () => {
    const credentials = new CredentialFileStore({ kube: new FakeKubeClient(), namespace: "velero", directory: mkdtempSync(join(tmpdir(), "vt-cred-")) });
    const withCredential = forBackupStorageLocation("velero", "default").credential("missing", "cloud").build();
    await expect(objectStoreConfigFor(withCredential, credentials)).rejects.toThrow(/^unable to get credentials: .*missing/);
    const withCa = forBackupStorageLocation("velero", "default").spec({ objectStorage: { bucket: "bkt", caCertRef: { name: "ca", key: "ca.crt" } } }).build();
    await expect(objectStoreConfigFor(withCa, credentials)).rejects.toThrow(/^error getting CA certificate from secret: .*ca/);
  });

  it("rejects a bucket with a slash inside", async () => {
    const credentials = new CredentialFileStore({ kube: new FakeKubeClient(), namespace: "velero" });
    const bsl = forBackupStorageLocation("velero", "default").bucket("bkt/pre").build();
    await expect(objectStoreConfigFor(bsl, credentials)).rejects.toThrow(/must not contain a '\/'/);
  });
});

describe("goOrderedOperations", () => {
  it("writes an operation's spec and status keys in Velero's struct order, whatever order they were set in", () => {
    const [op] = goOrderedOperations([
      {
        status: { updated: "u", created: "c", nTotal: 10, phase: "Failed", description: "d", error: "e" },
        spec: { operationID: "op-1", resourceIdentifier: { Group: "", Resource: "pods", Namespace: "a", Name: "p" }, restoreItemAction: "x/y", restoreName: "r", restoreUID: "uid" },
      },
    ]);
    expect(JSON.stringify(op)).toBe(
      '{"spec":{"restoreName":"r","restoreUID":"uid","restoreItemAction":"x/y","resourceIdentifier":{"Group":"","Resource":"pods","Namespace":"a","Name":"p"},"operationID":"op-1"},' +
        '"status":{"phase":"Failed","error":"e","nTotal":10,"description":"d","created":"c","updated":"u"}}',
    );
  });
});
