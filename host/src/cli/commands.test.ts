import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import type { Command } from "commander";
import { beforeAll, describe, expect, it } from "vitest";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import { Factory } from "./factory.js";
import { createProgram } from "./program.js";
import { GVR } from "./resources.js";
import { createTestCli, scratchDir, type TestCli } from "./testing/run-cli.js";
import { serverArgsForPlugins, serverOptionsFrom, type ServerCliOptions } from "./server.js";

beforeAll(() => {
  process.env.TZ = "UTC";
});

function backupObj(name: string, phase = "Completed", labels: Record<string, string> = {}): UnstructuredItem {
  return {
    apiVersion: "velero.io/v1",
    kind: "Backup",
    metadata: { name, namespace: "velero", labels, creationTimestamp: "2024-05-01T11:00:00Z" as never },
    spec: { includedNamespaces: ["*"], storageLocation: "default", ttl: "720h0m0s" },
    status: { phase, startTimestamp: "2024-05-01T11:00:00Z", expiration: "2024-05-31T11:00:00Z", errors: 0, warnings: 0 },
  };
}

/** Plays the server's download-request controller: answers every DownloadRequest with a file:// URL. */
function serveDownloads(cli: TestCli, files: Record<string, Buffer>): void {
  const dir = scratchDir("velero-dl-");
  cli.onSleep = async () => {
    for (const req of cli.kube.all(GVR.downloadRequests)) {
      if ((req.status as { downloadURL?: string } | undefined)?.downloadURL) continue;
      const target = (req.spec as { target: { kind: string; name: string } }).target;
      const file = join(dir, `${target.kind}-${target.name}`);
      const body = files[`${target.kind}/${target.name}`];
      if (body) writeFileSync(file, body);
      await cli.kube.patchStatus(GVR.downloadRequests, req.metadata.name, "velero", { status: { phase: "Processed", downloadURL: pathToFileURL(file).href } });
    }
  };
}

function allCommandPaths(): string[][] {
  const program = createProgram(new Factory(createTestCli().deps));
  const out: string[][] = [];
  const visit = (cmd: Command, path: string[]): void => {
    out.push(path);
    // run-plugins is the plugin-process entry point: every argument, --help included, belongs to it.
    for (const c of cmd.commands) if (c.name() !== "run-plugins") visit(c, [...path, c.name()]);
  };
  visit(program, []);
  return out;
}

/** The command at `path` in a fresh command tree. */
function createProgramCommand(path: string[]): Command {
  let cmd = createProgram(new Factory(createTestCli().deps));
  for (const name of path) cmd = cmd.commands.find((c) => c.name() === name) as Command;
  return cmd;
}

describe("velero CLI", () => {
  it.each(allCommandPaths().map((p) => ({ path: p.join(" ") || "(root)", argv: p })))("prints help for $path", async ({ argv }) => {
    const cli = createTestCli();
    const r = await cli.run(...argv, "--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: velero/);
  });

  it.each(allCommandPaths().filter((p) => p.length > 0 && createProgramCommand(p).commands.length > 0).map((p) => ({ path: p.join(" "), argv: p })))(
    "$path without a subcommand prints its help on stdout and exits 0, as cobra does",
    async ({ argv }) => {
      const cli = createTestCli();
      const r = await cli.run(...argv);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe("");
      expect(r.stdout).toMatch(/^Usage: velero/);
    },
  );

  it("a subcommand's help lists the root's options (-n, --kubeconfig...) under Global Options, as cobra's Global Flags", async () => {
    const r = await createTestCli().run("backup", "create", "--help");
    expect(r.stdout).toMatch(/\nGlobal Options:\n[\s\S]*--kubeconfig <path>[\s\S]*-n, --namespace <namespace>/);
  });

  it("accepts noun-verb, verb-noun and aliases alike", async () => {
    const cli = createTestCli();
    cli.kube.seed(GVR.backups, backupObj("b1"));
    const outputs = [];
    for (const argv of [["backup", "get"], ["get", "backups"], ["get", "backup"], ["backups", "get"]]) outputs.push((await cli.run(...argv)).stdout);
    expect(new Set(outputs).size).toBe(1);
    expect(outputs[0]).toContain("b1");
  });

  it.each([
    { noun: "backup", gvr: GVR.backups, obj: backupObj("b1"), column: "STORAGE LOCATION" },
    { noun: "restore", gvr: GVR.restores, obj: { apiVersion: "velero.io/v1", kind: "Restore", metadata: { name: "r1", namespace: "velero" }, spec: { backupName: "b1" } }, column: "COMPLETED" },
    { noun: "schedule", gvr: GVR.schedules, obj: { apiVersion: "velero.io/v1", kind: "Schedule", metadata: { name: "s1", namespace: "velero" }, spec: { schedule: "@daily", template: {} } }, column: "BACKUP TTL" },
    { noun: "backup-location", gvr: GVR.backupStorageLocations, obj: { apiVersion: "velero.io/v1", kind: "BackupStorageLocation", metadata: { name: "default", namespace: "velero" }, spec: { provider: "aws", objectStorage: { bucket: "velero" } } }, column: "ACCESS MODE" },
    { noun: "snapshot-location", gvr: GVR.volumeSnapshotLocations, obj: { apiVersion: "velero.io/v1", kind: "VolumeSnapshotLocation", metadata: { name: "default", namespace: "velero" }, spec: { provider: "aws" } }, column: "PROVIDER" },
    { noun: "repo", gvr: GVR.backupRepositories, obj: { apiVersion: "velero.io/v1", kind: "BackupRepository", metadata: { name: "app-default-kopia", namespace: "velero" }, spec: {} }, column: "LAST MAINTENANCE" },
  ])("prints `$noun get` as table, json and yaml", async ({ noun, gvr, obj, column }) => {
    const cli = createTestCli();
    cli.kube.seed(gvr, obj as UnstructuredItem);
    const table = await cli.run(noun, "get");
    expect(table.code).toBe(0);
    expect(table.stdout.split("\n")[0]).toContain(column);
    const json = await cli.run(noun, "get", "-o", "json");
    expect(JSON.parse(json.stdout)).toMatchObject({ kind: obj.kind, metadata: { name: obj.metadata.name } });
    const yaml = await cli.run(noun, "get", "-o", "yaml");
    expect(yaml.stdout).toContain(`kind: ${obj.kind}`);
    const bad = await cli.run(noun, "get", "-o", "xml");
    expect(bad.code).toBe(2);
  });

  it("wraps several objects in a List for -o json", async () => {
    const cli = createTestCli();
    cli.kube.seed(GVR.backups, backupObj("a"), backupObj("b"));
    const out = JSON.parse((await cli.run("backup", "get", "-o", "json")).stdout) as { kind: string; items: unknown[] };
    expect(out.kind).toBe("BackupList");
    expect(out.items).toHaveLength(2);
  });

  it("resolves the namespace from -n, then the client config, then $VELERO_NAMESPACE", async () => {
    const cli = createTestCli({ env: { VELERO_NAMESPACE: "from-env" } });
    await cli.run("backup", "create", "x", "-o", "json");
    expect(JSON.parse(cli.stdout.text).metadata.namespace).toBe("from-env");
    await cli.run("client", "config", "set", "namespace=from-config");
    expect((await cli.run("client", "config", "get")).stdout).toBe("namespace: from-config\n");
    await cli.run("backup", "create", "x", "-o", "json");
    expect(JSON.parse(cli.stdout.text).metadata.namespace).toBe("from-config");
    await cli.run("-n", "from-flag", "backup", "create", "x", "-o", "json");
    expect(JSON.parse(cli.stdout.text).metadata.namespace).toBe("from-flag");
    expect((await cli.run("client", "config", "get", "features")).stdout).toBe("features: <NOT SET>\n");
  });

  it("reads a short flag's value after '=' as pflag does (-l=app=web, -o=json)", async () => {
    const cli = createTestCli();
    const r = await cli.run("backup", "create", "x", "-l=app=web", "-o=json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).spec.labelSelector).toEqual({ matchLabels: { app: "web" } });
  });

  it("refuses extra arguments in cobra's words, naming the two usual causes (a list given with spaces, a boolean flag given its value apart)", async () => {
    const cli = createTestCli();
    const spaced = await cli.run("backup", "create", "b", "--include-namespaces", "ns1", "ns2");
    expect(spaced.code).toBe(2);
    expect(spaced.stderr).toMatch(/^An error occurred: accepts at most 1 arg\(s\), received 2 for 'velero backup create' \(a list flag takes one comma-separated value/);
    const bool = await cli.run("backup", "create", "b", "--snapshot-volumes", "false");
    expect(bool.code).toBe(2);
    expect(bool.stderr).toContain("--snapshot-volumes=false");
    expect((await cli.run("create", "schedule", "s", "--schedule", "@daily", "extra")).stderr).toMatch(/accepts 1 arg\(s\), received 2 for 'velero create schedule'/);
    // nothing was created
    expect(cli.kube.all(GVR.backups)).toEqual([]);
    // commands that take any number of names are unchanged
    expect((await cli.run("backup", "get", "a", "b")).stderr).not.toMatch(/arg\(s\)|too many/);
  });

  it("downloads over https trust the location's CA (caCert or caCertRef), --cacert, and skip verification with --insecure-skip-tls-verify, as Velero's CLI", async () => {
    const PEM = "-----BEGIN CERTIFICATE-----\nMIIBlocation\n-----END CERTIFICATE-----\n";
    const FILE_PEM = "-----BEGIN CERTIFICATE-----\nMIIBfile\n-----END CERTIFICATE-----\n";
    const cli = createTestCli();
    const backup = backupObj("b1");
    backup["spec"] = { ...(backup["spec"] as object), storageLocation: "minio" };
    cli.kube.seed(GVR.backups, backup);
    cli.kube.seed(GVR.backupStorageLocations, { apiVersion: "velero.io/v1", kind: "BackupStorageLocation", metadata: { namespace: "velero", name: "minio" }, spec: { provider: "aws", objectStorage: { bucket: "b", caCert: Buffer.from(PEM).toString("base64") } } } as unknown as UnstructuredItem);
    const calls: { url: string; tls?: { ca: string[]; insecure: boolean } }[] = [];
    cli.deps.fetch = async (url, tls) => (calls.push({ url, ...(tls ? { tls } : {}) }), new Response(gzipSync("a log line\n")));
    cli.onSleep = async () => {
      for (const req of cli.kube.all(GVR.downloadRequests)) {
        await cli.kube.patchStatus(GVR.downloadRequests, req.metadata.name, "velero", { status: { phase: "Processed", downloadURL: "https://minio.example:9000/b/backups/b1/b1-logs.gz?X-Amz-Signature=x" } });
      }
    };
    const caFile = join(scratchDir("velero-ca-"), "ca.pem");
    writeFileSync(caFile, FILE_PEM);
    const r = await cli.run("backup", "logs", "b1", "--cacert", caFile);
    expect(r.stdout, r.stderr).toBe("a log line\n");
    expect(calls[0]?.tls?.ca).toEqual(expect.arrayContaining([PEM, FILE_PEM]));
    expect(calls[0]?.tls?.insecure).toBe(false);
    await cli.run("backup", "logs", "b1", "--insecure-skip-tls-verify");
    expect(calls[1]?.tls?.insecure).toBe(true);
    expect(calls[1]?.tls?.ca).not.toContain(FILE_PEM);
  });

  it("a download whose object store cannot be reached names the store, not the API server, and never prints the signed URL", async () => {
    const cli = createTestCli();
    cli.kube.seed(GVR.backups, backupObj("b1"));
    cli.deps.fetch = async () => {
      throw new TypeError("fetch failed", { cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" }) });
    };
    cli.onSleep = async () => {
      for (const req of cli.kube.all(GVR.downloadRequests)) {
        await cli.kube.patchStatus(GVR.downloadRequests, req.metadata.name, "velero", { status: { phase: "Processed", downloadURL: "http://127.0.0.1:9/b/backups/b1/b1-logs.gz?X-Amz-Signature=SIGMARKER" } });
      }
    };
    const r = await cli.run("backup", "logs", "b1");
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `An error occurred: cannot download the BackupLog of "b1" from the object store at http://127.0.0.1:9 (connect ECONNREFUSED 127.0.0.1:9): the backup storage location's publicUrl (or, without one, its s3Url or endpoint) must be reachable from where this command runs\n`,
    );
    expect(r.stderr).not.toContain("SIGMARKER");
  });

  it("deletes by name as Velero's commands do when some names are missing (backup, schedule: the rest go; restore: nothing goes)", async () => {
    const cli = createTestCli();
    expect(await cli.run("backup", "delete", "gone", "--confirm")).toMatchObject({ code: 0, stdout: "No backups found\n" });
    const schedule = (name: string) => ({ apiVersion: "velero.io/v1", kind: "Schedule", metadata: { namespace: "velero", name }, spec: { schedule: "@daily", template: {} } }) as unknown as UnstructuredItem;
    cli.kube.seed(GVR.schedules, schedule("s1"));
    const partly = await cli.run("schedule", "delete", "s1", "gone", "--confirm");
    expect(partly.code).toBe(1);
    expect(partly.stdout).toContain("s1");
    expect(partly.stderr).toContain("gone");
    expect(cli.kube.all(GVR.schedules)).toEqual([]);
    expect(await cli.run("schedule", "delete", "gone", "--confirm")).toMatchObject({ code: 0, stdout: "No schedules found\n" });
    cli.kube.seed(GVR.schedules, schedule("s2"));
    const paused = await cli.run("schedule", "pause", "gone", "s2");
    expect(paused.code).toBe(1);
    expect(paused.stdout).toBe("Schedule s2 paused successfully\n");
    expect((cli.kube.peek(GVR.schedules, "s2", "velero")?.spec as { paused?: boolean }).paused).toBe(true);
    cli.kube.seed(GVR.restores, { apiVersion: "velero.io/v1", kind: "Restore", metadata: { namespace: "velero", name: "r1" }, spec: { backupName: "b" } } as unknown as UnstructuredItem);
    expect((await cli.run("restore", "delete", "r1", "gone", "--confirm")).code).toBe(1);
    expect(cli.kube.all(GVR.restores)).toHaveLength(1);
  });

  it("create commands check namespaces as Velero's CLI (its server's check, errors aggregated), the locations before printing, and ignore filters with --from-schedule", async () => {
    const cli = createTestCli();
    for (const bad of ["-", "**", "[ab", "a]", "!a"]) {
      const r = await cli.run("backup", "create", "b", "--include-namespaces", bad, "-o", "json");
      expect(r.code, bad).toBe(2);
    }
    expect((await cli.run("backup", "create", "b", "--include-namespaces", "*,*", "-o", "json")).code).toBe(0);
    expect((await cli.run("backup", "create", "b", "--include-namespaces", "ns.1", "-o", "json")).stderr).toContain('invalid namespace "ns.1": must not contain dots');
    expect((await cli.run("schedule", "create", "s", "--schedule", "@daily", "--exclude-namespaces", "a.b,-x", "-o", "json")).stderr).toMatch(/\[invalid namespace "-x": .*, invalid namespace "a.b": must not contain dots\]/);
    // the storage location and snapshot locations must exist, even to print the object
    const missing = await cli.run("backup", "create", "b", "--storage-location", "nowhere", "-o", "json");
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("nowhere");
    expect((await cli.run("schedule", "create", "s", "--schedule", "@daily", "--volume-snapshot-locations", "gone", "-o", "json")).code).not.toBe(0);
    // a negative TTL would have the backup deleted at the next garbage collection
    for (const argv of [["backup", "create", "b"], ["schedule", "create", "s", "--schedule", "@daily"]]) {
      const negative = await cli.run(...argv, "--ttl", "-1h", "-o", "json");
      expect(negative.code).toBe(2);
      expect(negative.stderr.trim()).toBe(`An error occurred: invalid --ttl "-1h": it must not be negative (0 means the server's --default-backup-ttl)`);
    }
    // the schedule's name is the velero.io/schedule-name label of its backups
    const long = await cli.run("schedule", "create", "s".repeat(64), "--schedule", "@daily", "-o", "json");
    expect(long.code).toBe(2);
    expect(long.stderr).toContain(`schedule name "${"s".repeat(64)}" is 64 characters long: at most 63 can be the velero.io/schedule-name label of its backups; use a shorter name`);
    expect((await cli.run("schedule", "create", "s".repeat(63), "--schedule", "@daily", "-o", "json")).code).toBe(0);
    // --from-schedule: the filters are ignored, not checked
    cli.kube.seed(GVR.schedules, { apiVersion: "velero.io/v1", kind: "Schedule", metadata: { namespace: "velero", name: "daily" }, spec: { schedule: "@daily", template: {} } } as unknown as UnstructuredItem);
    expect((await cli.run("backup", "create", "fb", "--from-schedule", "daily", "--ordered-resources", "bad", "-o", "json")).code).toBe(0);
  });

  it("backup create --from-schedule builds the Backup as Velero's FromSchedule does (as the schedule controller does)", async () => {
    const cli = createTestCli();
    cli.kube.seed(GVR.schedules, {
      apiVersion: "velero.io/v1",
      kind: "Schedule",
      metadata: { namespace: "velero", name: "daily", labels: { owner: "ops" }, annotations: { note: "n" } },
      spec: {
        schedule: "@daily",
        template: { metadata: { labels: { team: "a" } }, includedNamespaces: ["app"], resourcePolicy: { apiGroup: "v1", kind: "ConfigMap", name: "rp" } },
      },
    } as unknown as UnstructuredItem);
    const r = await cli.run("backup", "create", "--from-schedule", "daily", "--labels", "extra=1", "-o", "json");
    expect(r.code).toBe(0);
    const backup = JSON.parse(r.stdout);
    expect(backup.metadata.name).toMatch(/^daily-\d{14}$/);
    // Velero's builder says which labels it took
    expect(r.stderr).toMatch(/^time="[^"]+" level=info msg="Schedule.template.metadata.labels set - using those labels instead of schedule.labels for backup object" backup=velero\/daily-\d{14} labels="map\[team:a\]"\n$/);
    // the template's labels (not the schedule's) with the schedule-name label, then --labels
    expect(backup.metadata.labels).toEqual({ extra: "1", team: "a", "velero.io/schedule-name": "daily" });
    expect(backup.metadata.annotations).toEqual({ note: "n" });
    // Velero's builder rewrites the policy reference, and adds the label to the template's own map
    expect(backup.spec.resourcePolicy).toEqual({ apiGroup: null, kind: "configmap", name: "rp" });
    expect(backup.spec.metadata.labels).toEqual({ team: "a", "velero.io/schedule-name": "daily" });
    expect(backup.spec.includedNamespaces).toEqual(["app"]);
    const named = JSON.parse((await cli.run("backup", "create", "mine", "--from-schedule", "daily", "-o", "json")).stdout);
    expect(named.metadata.name).toBe("mine");
    cli.kube.seed(GVR.schedules, { apiVersion: "velero.io/v1", kind: "Schedule", metadata: { namespace: "velero", name: "plain", labels: { b: "2", a: "1" } }, spec: { schedule: "@daily", template: {} } } as unknown as UnstructuredItem);
    const plain = await cli.run("backup", "create", "p", "--from-schedule", "plain", "-o", "json");
    expect(JSON.parse(plain.stdout).metadata.labels).toEqual({ a: "1", b: "2", "velero.io/schedule-name": "plain" });
    expect(plain.stderr).toMatch(/ level=info msg="No Schedule.template.metadata.labels set - using Schedule.labels for backup object" backup=velero\/p labels="map\[a:1 b:2\]"\n$/);
  });

  it("create -o json prints maps with sorted keys and a resource policy's apiGroup as Go's encoding/json does", async () => {
    const cli = createTestCli();
    const r = await cli.run("backup", "create", "b", "--labels", "b=2,a=1", "--ordered-resources", "pods=ns/a;persistentvolumes=pv1", "--resource-policies-configmap", "rp", "-o", "json");
    expect(r.stdout).toContain('"labels": {\n      "a": "1",\n      "b": "2"\n    }');
    expect(Object.keys(JSON.parse(r.stdout).spec.orderedResources)).toEqual(["persistentvolumes", "pods"]);
    expect(JSON.parse(r.stdout).spec.resourcePolicy).toEqual({ apiGroup: null, kind: "configmap", name: "rp" });
  });

  it("restore create --from-schedule --allow-partially-failed -o json prints the restore of the backup it chose, as Velero's", async () => {
    const cli = createTestCli();
    const backup = (name: string, phase: string, created: string) =>
      ({ apiVersion: "velero.io/v1", kind: "Backup", metadata: { namespace: "velero", name, labels: { "velero.io/schedule-name": "s1" } }, spec: {}, status: { phase, startTimestamp: created } }) as unknown as UnstructuredItem;
    cli.kube.seed(GVR.backups, backup("s1-1", "Completed", "2025-01-01T00:00:00Z"), backup("s1-2", "PartiallyFailed", "2025-01-02T00:00:00Z"), backup("s1-3", "Failed", "2025-01-03T00:00:00Z"));
    const r = await cli.run("restore", "create", "r", "--from-schedule", "s1", "--allow-partially-failed", "-o", "json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).spec).toMatchObject({ backupName: "s1-2" });
    expect(JSON.parse(r.stdout).spec.scheduleName).toBeUndefined();
  });

  it("an optionalBool flag given an empty value is unset again, as Velero's", async () => {
    const cli = createTestCli();
    const spec = async (...flags: string[]) => JSON.parse((await cli.run("backup", "create", "b", ...flags, "-o", "json")).stdout).spec as { snapshotVolumes?: boolean };
    expect((await spec("--snapshot-volumes=false")).snapshotVolumes).toBe(false);
    expect((await spec("--snapshot-volumes=false", "--snapshot-volumes=")).snapshotVolumes).toBeUndefined();
    expect((await spec("--snapshot-volumes=")).snapshotVolumes).toBeUndefined();
  });

  it("create -o table takes -L and --show-labels, and prints a not-yet-created schedule's CREATED as Go's zero time", async () => {
    const cli = createTestCli();
    const backup = await cli.run("backup", "create", "b", "--labels", "a=1", "-o", "table", "--show-labels");
    expect(backup.stdout.split("\n")[0]).toMatch(/SELECTOR\s+LABELS$/);
    expect(backup.stdout.split("\n")[1]).toMatch(/a=1$/);
    const schedule = await cli.run("schedule", "create", "s", "--schedule", "@daily", "-o", "table", "-L", "a");
    expect(schedule.stdout.split("\n")[0]).toMatch(/PAUSED\s+A$/);
    expect(schedule.stdout).toContain("0001-01-01 00:00:00 +0000 UTC");
  });

  it("schedule create --skip-immediately takes its value as Velero's optionalBool does", async () => {
    const cli = createTestCli();
    const spec = async (...flags: string[]) => {
      const r = await cli.run("schedule", "create", "s", "--schedule", "@daily", ...flags, "-o", "json");
      return r.code === 0 ? (JSON.parse(r.stdout) as { spec: { skipImmediately?: boolean } }).spec.skipImmediately : `exit ${r.code}`;
    };
    expect(await spec("--skip-immediately", "true")).toBe(true);
    expect(await spec("--skip-immediately=false")).toBe(false);
    expect(await spec("--skip-immediately=")).toBeUndefined();
    expect(await spec("--skip-immediately", "maybe")).toBe("exit 2");
  });

  it("backup create --from-schedule applies --labels and --annotations over the schedule's, as Velero's create", async () => {
    const cli = createTestCli();
    cli.kube.seed(GVR.schedules, { apiVersion: "velero.io/v1", kind: "Schedule", metadata: { namespace: "velero", name: "daily", labels: { tier: "gold" } }, spec: { schedule: "@daily", template: {} } } as unknown as UnstructuredItem);
    const r = await cli.run("backup", "create", "b1", "--from-schedule", "daily", "--labels", "team=a,tier=silver", "--annotations", "note=x", "-o", "json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).metadata).toMatchObject({ labels: { "velero.io/schedule-name": "daily", team: "a", tier: "silver" }, annotations: { note: "x" } });
  });

  it("accepts an empty namespace entry, as Velero (an empty --exclude-namespaces \"$VAR\", a list ending in ',')", async () => {
    const cli = createTestCli();
    const excluded = await cli.run("backup", "create", "b1", "--exclude-namespaces", "", "-o", "json");
    expect(excluded.code, excluded.stderr).toBe(0);
    const included = await cli.run("backup", "create", "b1", "--include-namespaces", "a,", "-o", "json");
    expect(included.code, included.stderr).toBe(0);
    expect(JSON.parse(included.stdout).spec).toMatchObject({ includedNamespaces: ["a", ""] });
  });

  it("names the missing object and how to list what exists", async () => {
    const cli = createTestCli();
    const r = await cli.run("backup", "describe", "nope");
    expect(r).toMatchObject({ code: 1, stdout: "" });
    expect(r.stderr).toBe(`An error occurred: backup "nope" not found in namespace "velero"; run 'velero backup get' to list them (and check -n/--namespace)\n`);
  });

  it("explains an unreachable cluster in one line", async () => {
    const cli = createTestCli();
    cli.deps.connect = async () => ({
      get: async () => {
        throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6443"), { code: "ECONNREFUSED" });
      },
      list: async () => {
        throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6443"), { code: "ECONNREFUSED" });
      },
    }) as never;
    const r = await cli.run("backup", "get");
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "An error occurred: cannot reach the Kubernetes API server (connect ECONNREFUSED 127.0.0.1:6443); check --kubeconfig/--kubecontext or $KUBECONFIG and that the cluster is running\n",
    );
  });

  it("prints velero server's own unreachable-API-server error once (it was wrapped in the same words again)", async () => {
    const cli = createTestCli();
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
    cli.deps.startServer = async () => {
      throw new Error(
        "cannot reach the Kubernetes API server: connect ECONNREFUSED 127.0.0.1:1; check --kubeconfig/--kubecontext or $KUBECONFIG and that the cluster is running",
        { cause: refused },
      );
    };
    const r = await cli.run("server");
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "An error occurred: cannot reach the Kubernetes API server: connect ECONNREFUSED 127.0.0.1:1; check --kubeconfig/--kubecontext or $KUBECONFIG and that the cluster is running\n",
    );
  });
});

describe("restore", () => {
  it("creates a restore named after the backup and waits for Completed (exit 0)", async () => {
    const cli = createTestCli();
    cli.kube.seed(GVR.backups, backupObj("test-backup"));
    cli.onSleep = async () => {
      for (const r of cli.kube.all(GVR.restores)) {
        await cli.kube.patchStatus(GVR.restores, r.metadata.name, "velero", { status: { phase: "Completed", progress: { totalItems: 3, itemsRestored: 3 } } });
      }
    };
    const r = await cli.run("restore", "create", "--from-backup", "test-backup", "--wait");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Restore request "test-backup-20240501120000" submitted successfully.');
    expect(r.stdout).toContain("Restore completed with status: Completed.");
    const stored = cli.kube.peek<{ spec: Record<string, unknown> }>(GVR.restores, "test-backup-20240501120000", "velero");
    expect(stored?.spec).toMatchObject({ backupName: "test-backup", includedNamespaces: ["*"], itemOperationTimeout: "0s" });
  });

  it.each([
    { phase: "Failed", code: 4 },
    { phase: "FailedValidation", code: 5 },
    { phase: "PartiallyFailed", code: 3 },
  ])("exits $code when the restore ends $phase", async ({ phase, code }) => {
    const cli = createTestCli();
    cli.kube.seed(GVR.backups, backupObj("b"));
    cli.onSleep = async () => {
      await cli.kube.patchStatus(GVR.restores, "r", "velero", { status: { phase } });
    };
    expect((await cli.run("restore", "create", "r", "--from-backup", "b", "-w")).code).toBe(code);
  });

  it("maps namespaces and rejects bad flag values", async () => {
    const cli = createTestCli();
    // as in Velero, -o json only prints, but the backup must exist
    expect((await cli.run("restore", "create", "r", "--from-backup", "b", "-o", "json")).stderr).toContain('backup "b" not found');
    cli.kube.seed(GVR.backups, { apiVersion: "velero.io/v1", kind: "Backup", metadata: { name: "b", namespace: "velero" }, spec: {}, status: { phase: "Completed" } });
    const ok = await cli.run("restore", "create", "r", "--from-backup", "b", "--namespace-mappings", "demo-app:demo-copy", "--existing-resource-policy", "update", "-o", "json");
    expect(JSON.parse(ok.stdout).spec).toMatchObject({ namespaceMapping: { "demo-app": "demo-copy" }, existingResourcePolicy: "update" });
    expect((await cli.run("restore", "create", "r", "--from-backup", "b", "--existing-resource-policy", "replace")).stderr).toContain("it accepts only none, update");
    expect((await cli.run("restore", "create", "r")).code).toBe(2);
    expect((await cli.run("restore", "create", "r", "--from-backup", "missing")).stderr).toContain('backup "missing" not found');
  });

  it("streams the gunzipped restore log through a DownloadRequest", async () => {
    const cli = createTestCli();
    cli.kube.seed(GVR.restores, { apiVersion: "velero.io/v1", kind: "Restore", metadata: { name: "r1", namespace: "velero" }, spec: {}, status: { phase: "Completed" } });
    serveDownloads(cli, { "RestoreLog/r1": gzipSync('time="t" level=info msg="restore completed"\n') });
    const r = await cli.run("restore", "logs", "r1");
    expect(r).toMatchObject({ code: 0, stdout: 'time="t" level=info msg="restore completed"\n' });
  });
});

describe("backup logs, describe --details, download and delete", () => {
  it("refuses logs before the backup finished", async () => {
    const cli = createTestCli();
    cli.kube.seed(GVR.backups, backupObj("b1", "InProgress"));
    const r = await cli.run("backup", "logs", "b1");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('logs for backup "b1" are not available until it\'s finished processing');
    // a missing backup is a failure (1), as the README's table says, not a usage error (2)
    expect((await cli.run("backup", "logs", "gone")).code).toBe(1);
  });

  it("names the backup's log file when it is not gzip in the bucket (not only zlib's 'incorrect header check')", async () => {
    const cli = createTestCli();
    cli.kube.seed(GVR.backups, backupObj("b1"));
    serveDownloads(cli, { "BackupLog/b1": Buffer.from("this is not gzip") });
    const r = await cli.run("backup", "logs", "b1");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the BackupLog file of "b1" in object storage is not valid gzip (incorrect header check); it was damaged or replaced in the bucket');
  });

  it("describes with --details from downloaded side files", async () => {
    const cli = createTestCli();
    cli.kube.seed(GVR.backups, backupObj("b1"));
    serveDownloads(cli, {
      "BackupResourceList/b1": gzipSync(JSON.stringify({ "v1/ConfigMap": ["demo-app/web-config"] })),
      "BackupVolumeInfos/b1": gzipSync("null"),
    });
    const r = await cli.run("backup", "describe", "b1", "--details");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Resource List:\n  v1/ConfigMap:\n    - demo-app/web-config");
    expect(cli.kube.all(GVR.downloadRequests).map((d) => (d.spec as { target: { kind: string } }).target.kind).sort()).toEqual(["BackupResourceList", "BackupVolumeInfos"]);
  });

  it("downloads the tarball without gunzipping it", async () => {
    const cli = createTestCli();
    cli.kube.seed(GVR.backups, backupObj("b1"));
    const tarball = gzipSync("tar bytes");
    serveDownloads(cli, { "BackupContents/b1": tarball });
    const r = await cli.run("backup", "download", "b1");
    expect(r.code).toBe(0);
    const path = join(cli.deps.cwd, "b1-data.tar.gz");
    // the path as given, as Velero prints it
    expect(r.stdout).toBe("Backup b1 has been successfully downloaded to b1-data.tar.gz\n");
    expect(readFileSync(path)).toEqual(tarball);
    expect((await cli.run("backup", "download", "b1")).stderr).toContain("pass --force to overwrite");
  });

  it("prints a large log as it is gunzipped, in pieces, not as one string", async () => {
    const cli = createTestCli();
    cli.kube.seed(GVR.backups, backupObj("b1"));
    const log = Array.from({ length: 60_000 }, (_, i) => `time="t" level=info msg="item ${i} backed up" résumé\n`).join("");
    serveDownloads(cli, { "BackupLog/b1": gzipSync(log) });
    let writes = 0;
    const write = cli.deps.stdout.write.bind(cli.deps.stdout);
    cli.deps.stdout.write = (text: string) => {
      writes++;
      write(text);
    };
    const r = await cli.run("backup", "logs", "b1");
    expect(r.code).toBe(0);
    // multi-byte characters split across pieces come out whole
    expect(r.stdout).toBe(log);
    expect(writes).toBeGreaterThan(10);
  });

  it("waits for a backed-up stdout to drain before printing the next piece of a log (a pipe to a slow reader)", async () => {
    const cli = createTestCli();
    cli.kube.seed(GVR.backups, backupObj("b1"));
    const log = "a log line of some length, repeated many times\n".repeat(100_000);
    serveDownloads(cli, { "BackupLog/b1": gzipSync(log) });
    let printed = "";
    let queued = 0;
    let mostQueued = 0;
    let drains: (() => void)[] = [];
    cli.deps.stdout = {
      write: (text: string) => {
        printed += text;
        mostQueued = Math.max(mostQueued, ++queued);
        setImmediate(() => {
          queued--;
          const waiting = drains;
          drains = [];
          for (const d of waiting) d();
        });
        return false;
      },
      once: (_event: "drain", listener: () => void) => drains.push(listener),
    };
    const r = await cli.run("backup", "logs", "b1");
    expect(r.code).toBe(0);
    expect(printed).toBe(log);
    expect(mostQueued).toBe(1);
  });

  it("removes the partly written tarball when the download fails midway, and says why", async () => {
    const cli = createTestCli();
    cli.kube.seed(GVR.backups, backupObj("b1"));
    cli.onSleep = async () => {
      for (const req of cli.kube.all(GVR.downloadRequests)) {
        await cli.kube.patchStatus(GVR.downloadRequests, req.metadata.name, "velero", { status: { phase: "Processed", downloadURL: "http://127.0.0.1:1/b1.tar.gz?X-Amz-Signature=secret" } });
      }
    };
    cli.deps.fetch = async () =>
      new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new Uint8Array(64 * 1024));
            controller.error(new Error("connection reset by the object store"));
          },
        }),
      );
    const r = await cli.run("backup", "download", "b1");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("connection reset by the object store");
    expect(r.stderr).not.toContain("X-Amz-Signature");
    expect(existsSync(join(cli.deps.cwd, "b1-data.tar.gz"))).toBe(false);
  });

  it("submits a DeleteBackupRequest with --confirm and does nothing when the user says no", async () => {
    const cli = createTestCli();
    cli.kube.seed(GVR.backups, { ...backupObj("test-backup"), metadata: { ...backupObj("test-backup").metadata, uid: "uid-1" } });
    cli.input.push("n");
    expect((await cli.run("backup", "delete", "test-backup")).stdout).toBe("Are you sure you want to continue (Y/N)? ");
    expect(cli.kube.all(GVR.deleteBackupRequests)).toHaveLength(0);
    const r = await cli.run("backup", "delete", "test-backup", "--confirm");
    expect(r.stdout).toBe(
      'Request to delete backup "test-backup" submitted successfully.\nThe backup will be fully deleted after all associated data (disk snapshots, backup files, restores) are removed.\n',
    );
    const [dbr] = cli.kube.all(GVR.deleteBackupRequests);
    expect(dbr?.metadata).toMatchObject({ generateName: "test-backup-", labels: { "velero.io/backup-name": "test-backup", "velero.io/backup-uid": "uid-1" } });
    expect(dbr?.spec).toEqual({ backupName: "test-backup" });
    expect((await cli.run("backup", "delete")).stderr).toContain("you must specify exactly one of: specific backup name(s), the --all flag, or the --selector flag");
  });
});

describe("schedule", () => {
  it.each([["0 1 * * *"], ["@every 24h"]])("creates the seed's test-daily schedule with %j", async (cron) => {
    const cli = createTestCli();
    const r = await cli.run("schedule", "create", "test-daily", `--schedule=${cron}`, "--selector", "app=iperf3-server");
    expect(r).toMatchObject({ code: 0, stdout: 'Schedule "test-daily" created successfully.\n' });
    const spec = cli.kube.peek<{ spec: Record<string, unknown> }>(GVR.schedules, "test-daily", "velero")?.spec;
    expect(spec).not.toHaveProperty("paused"); // omitempty in Velero's ScheduleSpec
    expect(spec).toMatchObject({
      schedule: cron,
      useOwnerReferencesInBackup: false,
      template: { labelSelector: { matchLabels: { app: "iperf3-server" } }, includedNamespaces: ["*"], ttl: "0s" },
    });
  });

  it("rejects a bad cron expression before submitting", async () => {
    const cli = createTestCli();
    const r = await cli.run("create", "schedule", "s", "--schedule", "0 25 * * *");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('invalid --schedule "0 25 * * *"');
    expect(cli.kube.all(GVR.schedules)).toHaveLength(0);
  });

  it("pauses and unpauses", async () => {
    const cli = createTestCli();
    cli.kube.seed(GVR.schedules, { apiVersion: "velero.io/v1", kind: "Schedule", metadata: { name: "s1", namespace: "velero" }, spec: { schedule: "@daily", template: {} } });
    expect((await cli.run("schedule", "pause", "s1")).stdout).toBe("Schedule s1 paused successfully\n");
    expect((await cli.run("schedule", "pause", "--all")).stdout).toBe("Schedule s1 is already paused, skip\n");
    expect((await cli.run("schedule", "unpause", "s1")).stdout).toBe("Schedule s1 unpaused successfully\n");
    // as Velero's typed update writes it (omitempty): an unpaused schedule has no `paused` field
    expect(cli.kube.peek<{ spec: { paused?: boolean } }>(GVR.schedules, "s1", "velero")?.spec).not.toHaveProperty("paused");
  });
});

describe("locations, plugins, version, server", () => {
  it("velero server hands plugins its own command line without the verb, as Velero does (os.Args[2:])", () => {
    expect(serverArgsForPlugins(["server", "--kubeconfig", "/k", "--log-level", "debug", "--features=EnableCSI"])).toEqual(["--kubeconfig", "/k", "--log-level", "debug", "--features=EnableCSI"]);
    expect(serverArgsForPlugins(["-n", "ns1", "server", "--plugin-dir", "/p"])).toEqual(["-n", "ns1", "--plugin-dir", "/p"]);
  });

  it("creates and sets backup storage locations", async () => {
    const cli = createTestCli();
    const r = await cli.run("backup-location", "create", "second", "--provider", "aws", "--bucket", "b2", "--config", "region=minio", "--access-mode", "ReadOnly");
    expect(r.stdout).toBe('Backup storage location "second" configured successfully.\n');
    expect(cli.kube.peek<{ spec: unknown }>(GVR.backupStorageLocations, "second", "velero")?.spec).toMatchObject({ provider: "aws", accessMode: "ReadOnly", config: { region: "minio" } });
    expect((await cli.run("bsl", "create", "x", "--provider", "aws")).stderr).toContain("--bucket is required");
    expect((await cli.run("bsl", "set", "second", "--default")).code).toBe(0);
    expect(cli.kube.peek<{ spec: { default: boolean } }>(GVR.backupStorageLocations, "second", "velero")?.spec.default).toBe(true);
    expect((await cli.run("snapshot-location", "create", "vsl1", "--provider", "aws", "--config", "region=us-east-1")).stdout).toBe(
      'Snapshot volume location "vsl1" configured successfully.\n',
    );
  });

  it("reports server version and plugins through a ServerStatusRequest", async () => {
    const cli = createTestCli();
    cli.onSleep = async () => {
      for (const ssr of cli.kube.all(GVR.serverStatusRequests)) {
        await cli.kube.patchStatus(GVR.serverStatusRequests, ssr.metadata.name, "velero", {
          status: { phase: "Processed", serverVersion: "v1.18.0-ts.0.1.0", plugins: [{ name: "velero.io/aws", kind: "ObjectStore" }, { name: "velero.io/pod", kind: "BackupItemAction" }] },
        });
      }
    };
    expect((await cli.run("version")).stdout).toBe("Client:\n\tVersion: v1.18.0-ts.0.1.0\n\tGit commit: abc1234\nServer:\n\tVersion: v1.18.0-ts.0.1.0\n");
    expect((await cli.run("plugin", "get")).stdout).toMatchInlineSnapshot(`
      "NAME            KIND
      velero.io/pod   BackupItemAction
      velero.io/aws   ObjectStore
      "
    `);
  });

  it("says clearly when no server answers", async () => {
    const cli = createTestCli();
    const r = await cli.run("version", "--timeout", "2s");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('<error getting server version: timed out waiting for server status request to be processed; is the Velero server running in namespace "velero"?');
    expect((await cli.run("version", "--client-only")).stdout).toBe("Client:\n\tVersion: v1.18.0-ts.0.1.0\n\tGit commit: abc1234\n");
  });

  it("maps Velero's server flags onto the server options", async () => {
    const cli = createTestCli();
    const r = await cli.run("server", "--kubeconfig", "/k", "-n", "ns1", "--plugin-dir", "dist/plugins", "--log-level", "debug", "--backup-sync-period", "10s", "--default-volume-snapshot-locations", "aws:vsl1", "--features=EnableCSI", "--uploader-type=kopia", "--fs-backup-timeout=4h");
    expect(r.code).toBe(0);
    expect(cli.serverStarts[0]).toMatchObject({
      namespace: "ns1",
      kubeconfig: "/k",
      pluginDir: "dist/plugins",
      logLevel: "debug",
      backupSyncPeriodMs: 10_000,
      defaultBackupTtlMs: 720 * 3600_000,
      defaultVolumeSnapshotLocations: { aws: "vsl1" },
      features: ["EnableCSI"],
    });
    // not given: the server picks it (Velero's ":8085" in a pod, 127.0.0.1:8085 elsewhere)
    expect((cli.serverStarts[0] as ServerCliOptions).metricsAddress).toBeUndefined();
    expect(serverOptionsFrom(cli.serverStarts[0] as ServerCliOptions, "v9")).not.toHaveProperty("metricsAddress");
    await cli.run("server", "--metrics-address", "127.0.0.1:9999");
    expect(serverOptionsFrom(cli.serverStarts[1] as ServerCliOptions, "v9")).toMatchObject({ metricsAddress: "127.0.0.1:9999" });
    expect(r.stderr).toContain("ignoring flags this server does not implement: --fs-backup-timeout=4h");
    expect((await cli.run("server", "--log-level", "loud")).code).toBe(2);
  });

  it("accepts Velero's flags it does not act on (its own, earlier releases', klog's) when their values parse as Go parses them, and refuses any other flag", async () => {
    const cli = createTestCli();
    const ok = await cli.run("server", "--disable-informer-cache=false", "--default-repo-maintain-frequency=168h", "--keep-latest-maintenance-jobs=3", "--v=4", "--logtostderr", "--backup-repository-configmap", "repo-config");
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain(
      "ignoring flags this server does not implement: --default-repo-maintain-frequency=168h --disable-informer-cache=false --backup-repository-configmap=repo-config --keep-latest-maintenance-jobs=3",
    );
    // klog's flags are global, as in Velero's binary: any command takes them
    for (const args of [["backup", "get", "-v", "2"], ["version", "--client-only", "--logtostderr=false", "--vmodule", "x=2"], ["-v", "3", "backup", "get"]]) {
      expect((await cli.run(...args)).code, args.join(" ")).toBe(0);
    }
    // Velero refuses these, and a Go plugin handed the same command line exits on the bad values
    for (const bad of [["--garbage-colection-frequency=10m"], ["--fs-backup-timeout=4hx"], ["--disable-informer-cache=maybe"], ["--v=x"], ["--log-level=warn"]]) {
      const r = await cli.run("server", ...bad);
      expect(r.code, bad[0]).toBe(2);
      expect(r.stderr, bad[0]).toMatch(/unknown flag|invalid/);
    }
    expect(cli.serverStarts).toHaveLength(1);
  });

  it("hands --client-qps, --client-burst and --max-concurrent-k8s-connections to the server's API client; qps and burst not given: no client-side limit", async () => {
    const cli = createTestCli();
    const r = await cli.run("server", "--client-qps=20.5", "--client-burst", "40");
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain("ignoring flags");
    expect(serverOptionsFrom(cli.serverStarts[0] as ServerCliOptions, "v9")).toMatchObject({ clientQps: 20.5, clientBurst: 40 });
    await cli.run("server");
    const plain = serverOptionsFrom(cli.serverStarts[1] as ServerCliOptions, "v9");
    expect(plain.clientQps).toBeUndefined();
    expect(plain.clientBurst).toBeUndefined();
    // Velero's --max-concurrent-k8s-connections, default 30, caps the API client's connections
    expect(plain.maxConcurrentK8sConnections).toBe(30);
    // --client-qps=0 is client-go's default rate, as in Velero
    await cli.run("server", "--client-qps=0");
    expect((cli.serverStarts.at(-1) as ServerCliOptions).clientQps).toBe(5);
    const capped = await cli.run("server", "--max-concurrent-k8s-connections=4");
    expect(capped.stderr).not.toContain("ignoring flags");
    expect(serverOptionsFrom(cli.serverStarts.at(-1) as ServerCliOptions, "v9").maxConcurrentK8sConnections).toBe(4);
    for (const [args, message] of [
      [["--client-qps=-1"], "invalid --client-qps -1: it must not be negative"],
      [["--client-page-size=-1"], "invalid --client-page-size -1: it must not be negative (0 turns paging off)"],
      [["--uploader-type=restic"], "invalid uploader type 'restic', valid type: 'kopia'"],
      [["--client-qps=fast"], 'invalid value "fast" for --client-qps: expected a number'],
      [["--client-burst=0"], "invalid --client-burst 0: it must be at least 1"],
      [["--max-concurrent-k8s-connections=0"], "invalid --max-concurrent-k8s-connections 0: it must be at least 1"],
    ] as const) {
      const bad = await cli.run("server", ...args);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain(message);
    }
  });

  it("hands --restore-only, --disable-controllers, --concurrent-backups, --schedule-skip-immediately, --default-volumes-to-fs-backup and --restore-resource-priorities to the server", async () => {
    const cli = createTestCli();
    const r = await cli.run(
      "server",
      "--restore-only",
      "--disable-controllers=gc,schedule",
      "--disable-controllers",
      "download-request",
      "--concurrent-backups=3",
      "--schedule-skip-immediately",
      "--default-volumes-to-fs-backup",
      "--restore-resource-priorities=namespaces,-,configmaps",
    );
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain("ignoring flags");
    const options = serverOptionsFrom(cli.serverStarts[0] as ServerCliOptions, "v9");
    expect(options).toMatchObject({
      restoreOnly: true,
      disableControllers: ["gc", "schedule", "download-request"],
      concurrency: 3,
      scheduleSkipImmediately: true,
      defaultVolumesToFsBackup: true,
      restoreResourcePriorities: "namespaces,-,configmaps",
      serverVersion: "v9",
    });
    expect(serverOptionsFrom((await cli.run("server"), cli.serverStarts[1]) as ServerCliOptions, "v9")).toMatchObject({ restoreOnly: false, disableControllers: [], concurrency: 1, scheduleSkipImmediately: false });
    // as Velero: fewer than one is one
    expect((await cli.run("server", "--concurrent-backups=0")).code).toBe(0);
    expect((cli.serverStarts.at(-1) as ServerCliOptions).concurrentBackups).toBe(1);
  });

  it("hands --default-item-operation-timeout, --resource-timeout, --terminating-resource-timeout, --default-snapshot-move-data and --volume-group-snapshot-label-key to the server (Velero defaults 4h, 10m, 10m, false, velero.io/volume-group)", async () => {
    const cli = createTestCli();
    const r = await cli.run(
      "server",
      "--default-item-operation-timeout=90m",
      "--resource-timeout",
      "2m",
      "--terminating-resource-timeout=30s",
      "--default-snapshot-move-data",
      "--volume-group-snapshot-label-key=example.com/group",
    );
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain("ignoring flags");
    expect(serverOptionsFrom(cli.serverStarts[0] as ServerCliOptions, "v9")).toMatchObject({
      defaultItemOperationTimeout: 90 * 60_000,
      resourceTimeout: 120_000,
      terminatingResourceTimeout: 30_000,
      defaultSnapshotMoveData: true,
      volumeGroupSnapshotLabelKey: "example.com/group",
    });
    expect(serverOptionsFrom((await cli.run("server"), cli.serverStarts[1]) as ServerCliOptions, "v9")).toMatchObject({
      defaultItemOperationTimeout: 4 * 3_600_000,
      resourceTimeout: 600_000,
      terminatingResourceTimeout: 600_000,
      defaultSnapshotMoveData: false,
      volumeGroupSnapshotLabelKey: "velero.io/volume-group",
    });
    expect((await cli.run("server", "--resource-timeout=soon")).code).toBe(2);
  });

  it("takes --object-store-timeout (velero-ts; default 5m, 0 no limit) and refuses a negative one or a negative --default-backup-ttl", async () => {
    const cli = createTestCli();
    expect((await cli.run("server")).code).toBe(0);
    expect(serverOptionsFrom(cli.serverStarts[0] as ServerCliOptions, "v9").objectStoreTimeout).toBe(300_000);
    expect((await cli.run("server", "--object-store-timeout=45s")).code).toBe(0);
    expect(serverOptionsFrom(cli.serverStarts[1] as ServerCliOptions, "v9").objectStoreTimeout).toBe(45_000);
    expect((await cli.run("server", "--object-store-timeout=0")).code).toBe(0);
    expect(serverOptionsFrom(cli.serverStarts[2] as ServerCliOptions, "v9").objectStoreTimeout).toBe(0);
    for (const [flag, message] of [
      ["--object-store-timeout=-1s", 'invalid --object-store-timeout "-1s": it must not be negative (0 means no limit)'],
      // every backup made without a TTL would be deleted at the next garbage collection
      ["--default-backup-ttl=-1h", 'invalid --default-backup-ttl "-1h": it must not be negative'],
    ] as const) {
      const bad = await cli.run("server", flag);
      expect(bad.code).toBe(2);
      expect(bad.stderr.trim()).toBe(`An error occurred: ${message}`);
    }
    expect(cli.serverStarts).toHaveLength(3);
  });

  it("takes --item-block-worker-count and --item-operation-sync-frequency (Velero defaults 1 and 10s)", async () => {
    const cli = createTestCli();
    expect((await cli.run("server")).code).toBe(0);
    expect(cli.serverStarts[0]).toMatchObject({ itemBlockWorkerCount: 1, itemOperationSyncFrequencyMs: 10_000 });
    const r = await cli.run("server", "--item-block-worker-count=3", "--item-operation-sync-frequency", "2s");
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain("ignoring flags");
    expect(cli.serverStarts[1]).toMatchObject({ itemBlockWorkerCount: 3, itemOperationSyncFrequencyMs: 2_000 });
    const zero = await cli.run("server", "--item-block-worker-count=0");
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain("--item-block-worker-count 0: it must be at least 1");
    // as Velero: zero takes the default
    expect((await cli.run("server", "--item-operation-sync-frequency=0s")).code).toBe(0);
    expect((cli.serverStarts.at(-1) as ServerCliOptions).itemOperationSyncFrequencyMs).toBe(10_000);
  });

  it("hands run-plugins its raw arguments and stays out of the help", async () => {
    const cli = createTestCli();
    expect((await cli.run("run-plugins", "--log-level", "info", "--features=")).code).toBe(0);
    expect(cli.pluginRuns).toEqual([["--log-level", "info", "--features="]]);
    expect((await cli.run("--help")).stdout).not.toContain("run-plugins");
  });

  it("runs node-agent server with the node-agent DaemonSet's flags (it has no node agent: it waits), listed as Velero lists it", async () => {
    const cli = createTestCli();
    const r = await cli.run("node-agent", "server", "--features=", "--log-level=debug", "--log-format", "json", "--node-agent-configmap=na", "--resource-timeout=5m", "--data-mover-prepare-timeout=30m", "--metrics-address=:8085");
    expect(r.code).toBe(0);
    expect(cli.nodeAgentRuns).toEqual([{ logLevel: "debug", logFormat: "json" }]);
    expect((await cli.run("node-agent", "server", "--log-level=loud")).code).toBe(2);
    expect((await cli.run("node-agent", "server", "--bogus")).code).toBe(2);
    expect(cli.nodeAgentRuns).toHaveLength(1);
    expect((await cli.run("--help")).stdout).toMatch(/\n {2}node-agent +Work with node-agent\n/);
    // the server subcommand is hidden, as Velero's
    expect((await cli.run("node-agent", "--help")).stdout).not.toMatch(/\n {2}server /);
  });
});

describe("completion", () => {
  it.each(["bash", "zsh", "fish"])("generates a %s script", async (shell) => {
    const cli = createTestCli();
    const r = await cli.run("completion", shell);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(shell === "fish" ? "complete -c velero" : "__velero_complete");
  });

  it("loads in bash and completes subcommands and flags", async () => {
    const cli = createTestCli();
    const script = join(scratchDir("velero-completion-"), "velero.bash");
    writeFileSync(script, (await cli.run("completion", "bash")).stdout);
    execFileSync("bash", ["-n", script]);
    const complete = (words: string): string =>
      execFileSync("bash", [
        "-c",
        `source ${script}; COMP_WORDS=(${words}); COMP_CWORD=$((\${#COMP_WORDS[@]}-1)); __velero_complete; echo "\${COMPREPLY[*]}"`,
      ]).toString().trim();
    expect(complete("velero backup ''").split(" ")).toEqual(expect.arrayContaining(["create", "get", "describe", "logs", "delete", "download"]));
    expect(complete("velero ba")).toBe("backup backups backup-location backup-locations");
    expect(complete("velero backup create x --incl").split(" ")).toEqual(expect.arrayContaining(["--include-namespaces", "--include-resources"]));
  });

  it("rejects an unknown shell", async () => {
    expect((await createTestCli().run("completion", "tcsh")).code).toBe(2);
  });
});

describe("--colorized", () => {
  const seeded = (env: Record<string, string> = {}) => {
    const cli = createTestCli({ env });
    cli.kube.seed(GVR.backups, backupObj("b1", "Completed"));
    return cli;
  };
  const BOLD_NAME = "\x1b[1mb1\x1b[22m";

  it("colours describe output with --colorized=true even when piped, as Velero does, and never with =false", async () => {
    expect((await seeded().run("backup", "describe", "b1", "--colorized=true")).stdout).toContain(BOLD_NAME);
    expect((await seeded().run("backup", "describe", "b1", "--colorized", "false")).stdout).not.toContain("\x1b[");
  });

  it("by default colours a terminal only, and not with NO_COLOR", async () => {
    const piped = seeded();
    expect((await piped.run("backup", "describe", "b1")).stdout).not.toContain("\x1b[");
    const terminal = seeded();
    terminal.stdout.isTTY = true;
    expect((await terminal.run("backup", "describe", "b1")).stdout).toContain(BOLD_NAME);
    const noColor = seeded({ NO_COLOR: "1" });
    noColor.stdout.isTTY = true;
    expect((await noColor.run("backup", "describe", "b1")).stdout).not.toContain("\x1b[");
  });

  it("takes the client config's colorized, and rejects a value that is not a bool", async () => {
    const cli = seeded();
    expect((await cli.run("client", "config", "set", "colorized=true")).code).toBe(0);
    expect((await cli.run("backup", "describe", "b1")).stdout).toContain(BOLD_NAME);
    const bad = await cli.run("backup", "describe", "b1", "--colorized=maybe");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid argument "maybe" for "--colorized" flag');
  });
});
