import { describe, expect, it } from "vitest";
import { createLogger, flushPendingLines, toPinoLevel, type CreateLoggerOptions } from "./logging.js";

function capture(options: CreateLoggerOptions = {}): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const destination = { write: (line: string) => lines.push(line) } as unknown as NodeJS.WritableStream;
  return { lines, logger: createLogger({ ...options, destination }) };
}

describe("createLogger", () => {
  it("writes logrus text lines: whole-second times, Velero's level name 'warning', fields sorted by key", () => {
    const { lines, logger } = capture();
    logger.warn({ backup: "velero/b1", items: 3 }, "skipping item");
    logger.info("plain message");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^time="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ" level=warning msg="skipping item" backup=velero\/b1 items=3\n$/);
    expect(lines[1]).toMatch(/ level=info msg="plain message"\n$/);
  });

  it("quotes text values that hold spaces, quotes or '='", () => {
    const { lines, logger } = capture();
    logger.error({ err: 'bucket "b" not found', query: "a=b" }, "failed");
    expect(lines[0]).toContain(' error="bucket \\"b\\" not found" query="a=b"');
  });

  it("writes an error, string or Error object, as logrus's error=<message>, without a stack", () => {
    const { lines, logger } = capture();
    logger.error({ err: new SyntaxError("Unexpected end of JSON input"), backup: "b1" }, "error syncing backup into cluster");
    expect(lines[0]).toContain(' backup=b1 error="Unexpected end of JSON input"');
    expect(lines[0]).not.toContain("stack");
    expect(lines[0]).not.toContain("SyntaxError");
  });

  it("sorts the call's fields among the bound ones, and redacts credentials", () => {
    const { lines, logger } = capture();
    logger.child({ controller: "backup", zone: "z1" }).info({ name: "b1", password: "hunter2", location: { config: { secretAccessKey: "AKIA" } } }, "hello");
    expect(lines[0]).toMatch(/ msg="hello" controller=backup location="\{\\"config\\":\{\\"secretAccessKey\\":\\"\[redacted\]\\"\}\}" name=b1 password="\[redacted\]" zone=z1\n$/);
    expect(lines[0]).not.toContain("hunter2");
    expect(lines[0]).not.toContain("AKIA");
  });

  it("writes pino JSON with format json", () => {
    const { lines, logger } = capture({ format: "json", level: "debug" });
    logger.debug({ n: 1 }, "hello");
    expect(JSON.parse(lines[0] as string)).toMatchObject({ level: "debug", msg: "hello", n: 1 });
  });

  it("drops lines below the level, taking Velero's level names", () => {
    const { lines, logger } = capture({ level: toPinoLevel("warning") as CreateLoggerOptions["level"] });
    logger.info("not shown");
    logger.warn("shown");
    expect(lines).toHaveLength(1);
    expect(toPinoLevel("panic")).toBe("fatal");
    expect(toPinoLevel("nonsense")).toBe("info");
  });

  it("never writes credentials, at the top level or nested", () => {
    const secrets = ["pw-top", "pw-nested", "sak-nested", "sak-deep", "tok-top", "tok-deep", "cred-nested", "auth-nested", "aws-secret"];
    for (const format of ["text", "json"] as const) {
      const { lines, logger } = capture({ format });
      logger.info({ password: "pw-top", token: "tok-top" }, "top level");
      logger.info({ location: { password: "pw-nested", secretAccessKey: "sak-nested", credentials: "cred-nested" } }, "one level down");
      logger.info({ plugin: { config: { secretAccessKey: "sak-deep", token: "tok-deep" } } }, "two levels down");
      logger.info({ request: { authorization: "auth-nested" }, profile: { aws_secret_access_key: "aws-secret" } }, "headers and profiles");
      const out = lines.join("");
      for (const secret of secrets) expect(out, `${format}: ${secret}`).not.toContain(secret);
      expect(out).toContain("[redacted]");
      expect(lines).toHaveLength(4);
    }
  });

  it("never writes credentials under other spellings, deeper down, in child fields, or inside strings (URL passwords, presigned URLs)", () => {
    const secrets = ["bearer-abc", "st-1", "cs-1", "deep-pw", "child-tok", "urlpw-1", "sig-1", "cred-1", "amztok-1", "urlpw-2", "sas-1"];
    for (const format of ["text", "json"] as const) {
      const { lines, logger } = capture({ format });
      logger.info({ headers: { Authorization: "Bearer bearer-abc" }, sessionToken: "st-1", client_secret: "cs-1" }, "other spellings");
      logger.info({ a: { b: { c: { d: { password: "deep-pw" } } } } }, "four levels down");
      logger.child({ auth: { "X-Amz-Security-Token": "child-tok" } }).info("a child's fields");
      logger.info({ endpoint: "http://user:urlpw-1@127.0.0.1:9000/bucket", err: "GET https://s3.example/b/k?X-Amz-Credential=cred-1&X-Amz-Signature=sig-1&X-Amz-Security-Token=amztok-1 failed" }, "values");
      logger.info("dialling http://user:urlpw-2@127.0.0.1:9000 for https://acct.blob.example/c?sv=2024&sig=sas-1");
      const out = lines.join("");
      for (const secret of secrets) expect(out, `${format}: ${secret}`).not.toContain(secret);
      expect(out, format).toContain("http://user:xxxxx@127.0.0.1:9000");
      expect(out, format).toContain("X-Amz-Signature=[redacted]");
      expect(lines).toHaveLength(5);
    }
  });

  it("gives a child the parent's fields with its own merged in: replaced, added, and removed by undefined", () => {
    const { lines, logger } = capture();
    const parent = logger.child({ backup: "velero/b1", namespace: "app", zone: "z1" });
    parent.info("parent first"); // the parent's fields are formatted before the child is made
    const child = parent.child({ namespace: "other", name: "cm 1", zone: undefined, err: "boom" });
    child.info("child");
    child.child({ aaa: 1, name: "cm-2" }).info({ progress: "" }, "grandchild");
    expect(lines.map((l) => l.replace(/^time="[^"]+" /, ""))).toEqual([
      'level=info msg="parent first" backup=velero/b1 namespace=app zone=z1\n',
      'level=info msg="child" backup=velero/b1 error=boom name="cm 1" namespace=other\n',
      'level=info msg="grandchild" aaa=1 backup=velero/b1 error=boom name=cm-2 namespace=other progress=\n',
    ]);
  });
});

describe("createLogger with batch", () => {
  function batched(): { writes: string[]; logger: ReturnType<typeof createLogger> } {
    const writes: string[] = [];
    const destination = { write: (text: string) => writes.push(text) } as unknown as NodeJS.WritableStream;
    return { writes, logger: createLogger({ destination, batch: true }) };
  }
  const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  it("writes the lines of one turn of the event loop together, in order, at its end", async () => {
    const { writes, logger } = batched();
    logger.info("one");
    logger.child({ item: "cm-1" }).warn("two");
    expect(writes).toEqual([]);
    await nextTurn();
    expect(writes).toHaveLength(1);
    const lines = (writes[0] as string).split("\n");
    expect(lines[0]).toMatch(/ level=info msg="one"$/);
    expect(lines[1]).toMatch(/ level=warning msg="two" item=cm-1$/);
    expect(lines[2]).toBe("");
    logger.info("three");
    await nextTurn();
    expect(writes).toHaveLength(2);
    expect(writes[1]).toMatch(/ msg="three"\n$/);
  });

  it("writes at once when 64 KiB are pending, and keeps the order across writes", async () => {
    const { writes, logger } = batched();
    for (let i = 0; i < 1000; i++) logger.info({ i, pad: "x".repeat(100) }, "line");
    expect(writes.length).toBeGreaterThanOrEqual(1);
    expect(writes.every((w) => w.endsWith("\n"))).toBe(true);
    await nextTurn();
    const numbers = writes.join("").trimEnd().split("\n").map((l) => Number(/ i=(\d+)/.exec(l)?.[1]));
    expect(numbers).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it("batches pino's JSON lines too (--log-format json)", async () => {
    const writes: string[] = [];
    const destination = { write: (text: string) => writes.push(text) } as unknown as NodeJS.WritableStream;
    const logger = createLogger({ destination, batch: true, format: "json" });
    logger.info({ n: 1 }, "first");
    logger.warn({ n: 2 }, "second");
    expect(writes).toEqual([]);
    await nextTurn();
    expect(writes).toHaveLength(1);
    const lines = (writes[0] as string).trimEnd().split("\n").map((l) => JSON.parse(l) as { msg: string; level: string; n: number });
    expect(lines.map((l) => [l.level, l.msg, l.n])).toEqual([
      ["info", "first", 1],
      ["warn", "second", 2],
    ]);
  });

  it("hands what is pending over before Node prints an uncaught exception", () => {
    const { writes, logger } = batched();
    logger.info("before the crash");
    (process.emit as (event: string, ...args: unknown[]) => boolean)("uncaughtExceptionMonitor", new Error("boom"), "uncaughtException");
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(/ msg="before the crash"\n$/);
  });

  it("hands what is pending to the destination when flushPendingLines runs (the process's exit)", () => {
    const { writes, logger } = batched();
    logger.error("last words");
    flushPendingLines();
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(/ level=error msg="last words"\n$/);
  });
});
