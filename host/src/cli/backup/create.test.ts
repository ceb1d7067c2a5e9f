import { describe, expect, it } from "vitest";
import { KubeApiError } from "../../kube/errors.js";
import { GVR } from "../resources.js";
import { createTestCli } from "../testing/run-cli.js";
import { buildBackup } from "./create.js";

describe("backup create", () => {
  it("prints the object without submitting it when -o yaml is given", async () => {
    const cli = createTestCli();
    const r = await cli.run("backup", "create", "b1", "--include-namespaces", "app", "--ttl", "24h", "--snapshot-volumes=false", "-o", "yaml");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatchInlineSnapshot(`
      "apiVersion: velero.io/v1
      kind: Backup
      metadata:
        creationTimestamp: null
        name: b1
        namespace: velero
      spec:
        csiSnapshotTimeout: 0s
        hooks: {}
        includedNamespaces:
        - app
        itemOperationTimeout: 0s
        metadata: {}
        snapshotVolumes: false
        ttl: 24h0m0s
      status: {}

      "
    `);
    expect(cli.kube.all(GVR.backups)).toEqual([]);
  });

  it("submits the backup and tells the user how to follow it", async () => {
    const cli = createTestCli();
    const r = await cli.run("backup", "create", "test-backup", "--selector", "app=iperf3-server");
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toMatchInlineSnapshot(`
      "Backup request "test-backup" submitted successfully.
      Run \`velero backup describe test-backup\` or \`velero backup logs test-backup\` for more details.
      "
    `);
    const stored = cli.kube.peek<{ spec: unknown }>(GVR.backups, "test-backup", "velero");
    expect(stored?.spec).toMatchObject({ includedNamespaces: ["*"], labelSelector: { matchLabels: { app: "iperf3-server" } }, ttl: "0s" });
  });

  it("stores backup!=ignore as a NotIn expression", () => {
    const b = buildBackup("velero", { name: "nginx-backup", includeNamespaces: ["*"], selector: { matchExpressions: [{ key: "backup", operator: "NotIn", values: ["ignore"] }] } });
    expect(b.spec.labelSelector).toEqual({ matchExpressions: [{ key: "backup", operator: "NotIn", values: ["ignore"] }] });
  });

  it.each([
    { name: "unknown flag", argv: ["backup", "create", "b", "--bogus"], message: "unknown flag '--bogus'" },
    { name: "bad ttl", argv: ["backup", "create", "b", "--ttl", "forever"], message: 'invalid duration "forever" for --ttl' },
    { name: "bad selector", argv: ["backup", "create", "b", "--selector", "a=b=c"], message: 'invalid label selector "a=b=c"' },
    { name: "missing name", argv: ["backup", "create"], message: "a backup name is required" },
    { name: "bad bool", argv: ["backup", "create", "b", "--wait=maybe"], message: 'invalid argument "maybe" for "--wait"' },
    { name: "mixed filters", argv: ["backup", "create", "b", "--include-resources", "pods", "--include-cluster-scoped-resources", "nodes"], message: "old filter parameters" },
  ])("exits 2 with a one-line message on $name", async ({ argv, message }) => {
    const cli = createTestCli();
    const r = await cli.run(...argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("waits with plain progress lines and exits 3 on PartiallyFailed", async () => {
    const cli = createTestCli();
    let polls = 0;
    cli.onSleep = async () => {
      polls++;
      const status =
        polls === 1
          ? { phase: "InProgress", progress: { totalItems: 10, itemsBackedUp: 4 } }
          : { phase: "PartiallyFailed", progress: { totalItems: 10, itemsBackedUp: 10 }, errors: 1 };
      await cli.kube.patchStatus(GVR.backups, "b1", "velero", { status });
    };
    const r = await cli.run("backup", "create", "b1", "--wait");
    expect(r.code).toBe(3);
    expect(r.stdout).toMatchInlineSnapshot(`
      "Backup request "b1" submitted successfully.
      Waiting for backup to complete. You may safely press ctrl-c to stop waiting - your backup will continue in the background.
      backup b1: New, 0 items backed up, 0.0 items/s, elapsed 0s, ETA -
      backup b1: InProgress, 4/10 items backed up, 4.0 items/s, elapsed 1s, ETA 2s
      backup b1: PartiallyFailed, 10/10 items backed up, 5.0 items/s, elapsed 2s, ETA 0s

      Backup completed with status: PartiallyFailed. You may check for more information using the commands \`velero backup describe b1\` and \`velero backup logs b1\`.
      "
    `);
  });
});

describe("backup create --wait follows the backup through a watch", () => {
  it("returns the moment the phase is terminal, without waiting out the second between reads", async () => {
    const cli = createTestCli();
    const timers: AbortSignal[] = [];
    // a sleep that never ends by itself: only the watch can end the wait
    cli.deps.sleep = (_ms, signal) => {
      if (signal) timers.push(signal);
      setImmediate(() => void cli.kube.patchStatus(GVR.backups, "b1", "velero", { status: { phase: "Completed", progress: { totalItems: 3, itemsBackedUp: 3 } } }));
      return new Promise((resolve) => signal?.addEventListener("abort", () => resolve(), { once: true }));
    };
    const r = await cli.run("backup", "create", "b1", "--wait");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("backup b1: Completed, 3/3 items backed up, 0.0 items/s, elapsed 0s, ETA 0s");
    expect(r.stdout).toContain("Backup completed with status: Completed.");
    expect(timers).toHaveLength(1);
    expect(timers[0]?.aborted).toBe(true); // the pending second was cut short, not waited out
    expect(cli.kube.openWatches).toBe(0); // and the watch is closed
  });

  it("reads once a second when the object cannot be watched", async () => {
    const cli = createTestCli();
    cli.kube.failNext("watch", "backups", new KubeApiError({ statusCode: 403, reason: "Forbidden", message: 'backups.velero.io is forbidden: User "bob" cannot watch resource "backups"' }));
    let polls = 0;
    cli.onSleep = async () => {
      polls++;
      await cli.kube.patchStatus(GVR.backups, "b1", "velero", { status: polls < 3 ? { phase: "InProgress" } : { phase: "Completed" } });
    };
    const r = await cli.run("backup", "create", "b1", "--wait");
    expect(r.code).toBe(0);
    expect(polls).toBe(3);
    expect(r.stdout).toContain("Backup completed with status: Completed.");
    expect(cli.kube.openWatches).toBe(0);
  });
});

describe("backup create --wait on a terminal", () => {
  it("draws a progress bar with phase, items, rate, elapsed and ETA", async () => {
    const cli = createTestCli();
    cli.stdout.isTTY = true;
    let polls = 0;
    cli.onSleep = async () => {
      polls++;
      const status = polls === 1 ? { phase: "InProgress", progress: { totalItems: 8, itemsBackedUp: 2 } } : { phase: "Completed", progress: { totalItems: 8, itemsBackedUp: 8 } };
      await cli.kube.patchStatus(GVR.backups, "b1", "velero", { status });
    };
    const r = await cli.run("backup", "create", "b1", "-w");
    expect(r.code).toBe(0);
    const screen = r.stdout.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, "");
    expect(screen).toMatch(/backup b1 Completed \[[█]+\] 8\/8 items \| 4\.0 items\/s \| elapsed 2s \| ETA 0s/);
    expect(screen).toContain("Backup completed with status: Completed.");
  });
});
