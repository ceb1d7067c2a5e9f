import { text } from "node:stream/consumers";
import { describe, expect, it } from "vitest";
import { createLogger } from "../shared/logging.js";
import { captureLogger, type LogRecord } from "../testing/capturing-logger.js";
import { RestoreLogFile } from "./restore-log.js";

describe("RestoreLogFile", () => {
  it("writes Velero's logrus text: whole-second UTC time, warning, sorted fields, error=, quoting only when needed", async () => {
    const file = await RestoreLogFile.create({ restore: "velero/r1" }, { level: "info" });
    try {
      const log = file.logger.child({ resource: "configmaps" });
      log.debug("not written at info");
      log.info({ namespace: "app", name: "cm-1" }, "Attempting to restore ConfigMap: cm-1");
      log.warn({ err: new Error('already exists, the in-cluster version is "different"') }, "Namespace app, resource restore warning");
      file.logger.info("restore completed");
      const lines = (await text(await file.finish())).trimEnd().split("\n");
      expect(lines).toHaveLength(3);
      const time = /^time="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ" /;
      for (const l of lines) expect(l).toMatch(time);
      expect(lines.map((l) => l.replace(time, ""))).toEqual([
        'level=info msg="Attempting to restore ConfigMap: cm-1" name=cm-1 namespace=app resource=configmaps restore=velero/r1',
        'level=warning msg="Namespace app, resource restore warning" error="already exists, the in-cluster version is \\"different\\"" resource=configmaps restore=velero/r1',
        'level=info msg="restore completed" restore=velero/r1',
      ]);
    } finally {
      await file.dispose();
    }
  });

  it("never writes a credential: credential fields and nested keys are [redacted], at any depth", async () => {
    const file = await RestoreLogFile.create({ restore: "velero/r1" }, { level: "info" });
    try {
      file.logger.info({ password: "hunter2", plugin: { config: { secretAccessKey: "AKIA-SECRET", region: "eu" } }, tls: { key: "PRIVATE" }, key: "backups/b1/b1.tar.gz" }, "configured");
      const out = await text(await file.finish());
      for (const secret of ["hunter2", "AKIA-SECRET", "PRIVATE"]) expect(out).not.toContain(secret);
      expect(out).toContain('password="[redacted]"');
      expect(out).toContain('plugin="{\\"config\\":{\\"secretAccessKey\\":\\"[redacted]\\",\\"region\\":\\"eu\\"}}"');
      expect(out).toContain("key=backups/b1/b1.tar.gz");
    } finally {
      await file.dispose();
    }
  });

  it("keeps pino JSON lines with format json", async () => {
    const file = await RestoreLogFile.create({ restore: "velero/r1" }, { level: "info", format: "json" });
    try {
      file.logger.info({ n: 1 }, "hello");
      const line = JSON.parse((await text(await file.finish())).trim()) as Record<string, unknown>;
      expect(line).toMatchObject({ level: "info", msg: "hello", n: 1, restore: "velero/r1" });
    } finally {
      await file.dispose();
    }
  });

  it("writes every line to the server's text log too, the same line, at the server's level (as Velero's restore logger writes to its output)", async () => {
    const serverLines: string[] = [];
    const server = createLogger({ level: "info", destination: { write: (line: string) => void serverLines.push(line) } as never }).child({ controller: "restore" });
    const file = await RestoreLogFile.create({ restore: "velero/r1" }, { level: "debug", tee: server });
    try {
      file.logger.child({ resource: "configmaps" }).info({ name: "cm-1" }, "Attempting to restore ConfigMap: cm-1");
      file.logger.debug("only in the restore's log: the server logs at info");
      file.logger.info("restore completed");
      const lines = (await text(await file.finish())).split(/(?<=\n)/);
      expect(lines).toHaveLength(3);
      expect(serverLines).toEqual([lines[0], lines[2]]);
      expect(serverLines[0]).toContain('msg="Attempting to restore ConfigMap: cm-1" name=cm-1 resource=configmaps restore=velero/r1');
    } finally {
      await file.dispose();
    }
  });

  it("hands each call to a server logger that takes no formatted lines (a JSON server log), with the restore's fields", async () => {
    const records: LogRecord[] = [];
    const file = await RestoreLogFile.create({ restore: "velero/r1" }, { level: "info", tee: captureLogger(records) });
    try {
      file.logger.child({ resource: "secrets" }).warn({ name: "s1" }, "could not restore");
      expect(records).toEqual([expect.objectContaining({ level: "warn", message: "could not restore", fields: expect.objectContaining({ restore: "velero/r1", resource: "secrets", name: "s1" }) })]);
      expect(await text(await file.finish())).toContain('level=warning msg="could not restore" name=s1 resource=secrets restore=velero/r1');
    } finally {
      await file.dispose();
    }
  });
});
