import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { createLogger } from "../shared/logging.js";
import { BackupLogger } from "./backup-log.js";

const NOW = () => new Date("2026-11-26T00:00:00.400Z");

describe("BackupLogger", () => {
  it("writes logrus-style lines with the bound fields and counts warnings and errors", async () => {
    const log = new BackupLogger({ now: NOW }).child({ backup: "velero/b1" });
    log.child({ resource: "configmaps", namespace: "app", name: "cm 1" }).info("Backing up item");
    log.warn({ namespace: "app" }, "careful");
    log.error({ err: "boom" }, "failed");
    expect(log.text()).toBe(
      'time="2026-11-26T00:00:00Z" level=info msg="Backing up item" backup=velero/b1 name="cm 1" namespace=app resource=configmaps\n' +
        'time="2026-11-26T00:00:00Z" level=warning msg="careful" backup=velero/b1 namespace=app\n' +
        'time="2026-11-26T00:00:00Z" level=error msg="failed" backup=velero/b1 error=boom\n',
    );
    expect([log.warnings, log.errors]).toEqual([1, 1]);
    expect(log.results.errors).toEqual({ velero: [" message: /failed error: /boom"] });
    expect(log.results.warnings).toEqual({ namespaces: { app: [" message: /careful"] } });
    expect(gunzipSync(await log.gzipped()).toString()).toBe(log.text());
    // the header Go's gzip.Writer writes (OS 255), as in Velero's <backup>-logs.gz
    expect((await log.gzipped()).subarray(0, 10).toString("hex")).toBe("1f8b08000000000000ff");
  });

  it("formats fields as logrus' TextFormatter does: sorted by key, err as error, quoted only when needed", () => {
    const log = new BackupLogger({ now: NOW }).child({ resource: "pods", backup: "velero/b1", namespace: "app", name: "web" });
    log.info({ progress: "" }, "Processing item");
    log.info({ hookCommand: "[/bin/sh -c echo hi]", hookTimeout: "{30s}", when: "a:b", plus: "a+b^c" }, "running exec hook");
    log.error({ err: "exit 3", zeta: 1 }, "Error executing hook");
    log.warn({ name: "other", aaa: "first" }, "override");
    expect(log.text().split("\n").slice(0, 4)).toEqual([
      'time="2026-11-26T00:00:00Z" level=info msg="Processing item" backup=velero/b1 name=web namespace=app progress= resource=pods',
      'time="2026-11-26T00:00:00Z" level=info msg="running exec hook" backup=velero/b1 hookCommand="[/bin/sh -c echo hi]" hookTimeout="{30s}" name=web namespace=app plus=a+b^c resource=pods when="a:b"',
      'time="2026-11-26T00:00:00Z" level=error msg="Error executing hook" backup=velero/b1 error="exit 3" name=web namespace=app resource=pods zeta=1',
      // a call's field replaces the logger's
      'time="2026-11-26T00:00:00Z" level=warning msg="override" aaa=first backup=velero/b1 name=other namespace=app resource=pods',
    ]);
  });

  it("files results as Velero's log hook: a namespace field (\"\" for a cluster-scoped item) under it or Cluster, none under Velero", () => {
    const log = new BackupLogger({ now: NOW }).child({ backup: "velero/b1" });
    log.child({ resource: "persistentvolumes", namespace: "", name: "pv-nfs" }).warn("No volume ID returned by volume snapshotter for persistent volume");
    log.child({ resource: "pods", namespace: "app", name: "web" }).warn("careful");
    log.warn("about the backup");
    expect(log.results.warnings).toEqual({
      cluster: [" resource: /persistentvolumes name: /pv-nfs message: /No volume ID returned by volume snapshotter for persistent volume"],
      namespaces: { app: [" resource: /pods name: /web message: /careful"] },
      velero: [" message: /about the backup"],
    });
    expect(log.text()).toContain("msg=\"No volume ID returned by volume snapshotter for persistent volume\" backup=velero/b1 name=pv-nfs namespace= resource=persistentvolumes");
  });

  it("reports which levels it keeps", () => {
    const info = new BackupLogger({ level: "info" });
    expect([info.isLevelEnabled("debug"), info.isLevelEnabled("info"), info.isLevelEnabled("error")]).toEqual([false, true, true]);
    expect(new BackupLogger({ level: "debug" }).child({ a: 1 }).isLevelEnabled("debug")).toBe(true);
  });

  it("in compress mode gzips the log as it grows and gives back every line, in order, once", async () => {
    const log = new BackupLogger({ now: NOW, compress: true }).child({ backup: "velero/b1" });
    // ~100 bytes a line: 6,000 lines cross the 256 KiB hand-off to the gzip stream twice.
    for (let i = 0; i < 6000; i++) log.child({ name: `cm-${i}` }).info("Processing item");
    const gzipped = await log.gzipped();
    expect(gzipped.subarray(0, 10).toString("hex")).toBe("1f8b08000000000000ff");
    const text = gunzipSync(gzipped).toString();
    const lines = text.trimEnd().split("\n");
    expect(lines).toHaveLength(6000);
    expect(lines[0]).toBe('time="2026-11-26T00:00:00Z" level=info msg="Processing item" backup=velero/b1 name=cm-0');
    expect(lines[5999]).toMatch(/ name=cm-5999$/);
    expect(() => log.text()).toThrow(/compress mode/);
    // Asking again does not fail (the stream is already ended).
    expect(gunzipSync(await log.gzipped()).toString()).toBe(text);
  });

  it("writes each line to a text server log byte for byte, as Velero's backup logger writes its lines to the server's output", () => {
    const server: string[] = [];
    const serverLog = createLogger({ level: "info", destination: { write: (l: string) => server.push(l) } as unknown as NodeJS.WritableStream });
    const log = new BackupLogger({ level: "debug", now: NOW, tee: serverLog.child({ controller: "backup" }) }).child({ backup: "velero/b1" });
    log.child({ resource: "pods", name: "web" }).info({ progress: "" }, "Processing item");
    log.debug("only in the backup log"); // below the server's level
    log.warn({ namespace: "app" }, "careful");
    expect(server).toEqual(log.text().split(/(?<=\n)/).filter((l) => !l.includes("only in the backup log")));
    expect(server).toHaveLength(2);
  });

  it("hands a structured server log (json) the fields of each line", () => {
    const server: string[] = [];
    const serverLog = createLogger({ level: "info", format: "json", destination: { write: (l: string) => server.push(l) } as unknown as NodeJS.WritableStream });
    const log = new BackupLogger({ now: NOW, tee: serverLog }).child({ backup: "velero/b1" });
    log.child({ resource: "pods" }).warn({ namespace: "app" }, "careful");
    expect(JSON.parse(server[0] as string)).toMatchObject({ level: "warn", msg: "careful", backup: "velero/b1", resource: "pods", namespace: "app" });
  });
});
