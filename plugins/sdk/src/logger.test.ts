import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createPluginLogger, levelFromArgv, type PluginLogLevel } from "./logger.js";

function capture(level?: PluginLogLevel): { lines: () => Record<string, unknown>[]; raw: string[]; destination: Writable } {
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      raw.push(chunk.toString());
      cb();
    },
  });
  return { raw, destination, lines: () => raw.join("").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe("createPluginLogger", () => {
  it("writes hclog-shaped JSON lines without timestamps", () => {
    const out = capture();
    const log = createPluginLogger({ level: "trace", destination: out.destination });
    log.info({ bucket: "b" }, "uploaded");
    log.warn("careful");
    log.trace("fine detail");
    expect(out.lines()).toEqual([
      { "@level": "info", "@logSourceSetBy": "plugin", "@message": "uploaded", bucket: "b" },
      { "@level": "warn", "@logSourceSetBy": "plugin", "@message": "careful" },
      { "@level": "trace", "@logSourceSetBy": "plugin", "@message": "fine detail" },
    ]);
  });

  it("writes an Error as Velero's plugins write errors: its message as `error`, with error.file and error.function", () => {
    const out = capture();
    const log = createPluginLogger({ level: "info", destination: out.destination });
    function upload(): Error {
      return new Error("access denied");
    }
    log.error({ err: upload(), bucket: "b" }, "upload failed");
    log.warn({ error: new Error("slow") }, "retrying");
    const [first, second] = out.lines();
    expect(first).toMatchObject({ "@level": "error", "@message": "upload failed", error: "access denied", bucket: "b", "error.function": "upload" });
    expect(first?.["error.file"]).toMatch(/logger\.test\.ts:\d+$/);
    expect(first).not.toHaveProperty("err");
    expect(second).toMatchObject({ error: "slow" });
  });

  it("never emits a non-string @message/@level/@timestamp (they would crash Velero)", () => {
    const out = capture();
    const log = createPluginLogger({ level: "info", destination: out.destination });
    log.info({ "@message": 5, "@level": { x: 1 }, "@timestamp": 0, other: true });
    log.child({ "@message": [1] }).error("from child");
    for (const line of out.lines()) {
      expect(typeof line["@message"]).toBe("string");
      expect(typeof line["@level"]).toBe("string");
      expect(line).not.toHaveProperty("@timestamp");
      expect(line).not.toHaveProperty("time");
    }
    expect(out.lines()[0]).toEqual({ "@level": "info", "@logSourceSetBy": "plugin", "@message": "", "_@message": 5, "_@level": { x: 1 }, "_@timestamp": 0, other: true });
    expect(out.lines()[1]).toMatchObject({ "@level": "error", "@message": "from child", "_@message": [1] });
  });

  it.each([
    { name: "number", call: (l: Record<string, (...a: unknown[]) => void>) => l.info?.(42), message: "42" },
    { name: "fields and a non-string message", call: (l: Record<string, (...a: unknown[]) => void>) => l.info?.({ a: 1 }, { b: 2 }), message: "{ b: 2 }" },
    { name: "null", call: (l: Record<string, (...a: unknown[]) => void>) => l.info?.(null), message: "null" },
    { name: "nothing", call: (l: Record<string, (...a: unknown[]) => void>) => l.info?.(), message: "" },
    { name: "format arguments", call: (l: Record<string, (...a: unknown[]) => void>) => l.info?.("copied %d objects", 3), message: "copied 3 objects" },
  ])("stringifies whatever JavaScript passes as the message: $name", ({ call, message }) => {
    const out = capture();
    call(createPluginLogger({ level: "info", destination: out.destination }) as unknown as Record<string, (...a: unknown[]) => void>);
    expect(out.lines()[0]?.["@message"]).toBe(message);
  });

  it("logs errors with their message and carries child fields", () => {
    const out = capture();
    const log = createPluginLogger({ level: "info", destination: out.destination, fields: { plugin: "example.io/x" } });
    log.child({ pluginKind: "ObjectStore" }).error(new Error("bucket missing"));
    expect(out.lines()[0]).toMatchObject({ "@level": "error", "@message": "bucket missing", plugin: "example.io/x", pluginKind: "ObjectStore" });
  });

  it("drops entries below the level", () => {
    const out = capture();
    const log = createPluginLogger({ level: "warn", destination: out.destination });
    log.info("hidden");
    log.debug("hidden");
    log.error("shown");
    expect(out.lines().map((l) => l["@message"])).toEqual(["shown"]);
  });

  it("never writes credentials, at the top level or nested", () => {
    const out = capture();
    const log = createPluginLogger({ level: "info", destination: out.destination });
    log.info({ token: "tok-1", config: { secretAccessKey: "sak-1", region: "us-east-1" } }, "init");
    log.child({ plugin: "example.io/x" }).warn({ request: { headers: { authorization: "Bearer abc" } } }, "retrying");
    const raw = out.raw.join("");
    for (const secret of ["tok-1", "sak-1", "Bearer abc"]) expect(raw).not.toContain(secret);
    expect(out.lines()[0]).toMatchObject({ "@message": "init", token: "[redacted]", config: { secretAccessKey: "[redacted]", region: "us-east-1" } });
  });

  it("never writes credentials under other spellings, at any depth, in child fields, or inside the message and string values", () => {
    const out = capture();
    const log = createPluginLogger({ level: "info", destination: out.destination, fields: { Authorization: "Bearer field-abc" } });
    log.info({ a: { b: { c: { clientSecret: "cs-1" } } }, url: "https://b.s3.example/k?X-Amz-Signature=sig-1" }, "deep");
    log.child({ SESSION_TOKEN: "st-1" }).warn("calling http://u:urlpw-1@127.0.0.1:9000/");
    const raw = out.raw.join("");
    for (const secret of ["field-abc", "cs-1", "sig-1", "st-1", "urlpw-1"]) expect(raw).not.toContain(secret);
    expect(out.lines()[1]).toMatchObject({ "@message": "calling http://u:xxxxx@127.0.0.1:9000/", SESSION_TOKEN: "[redacted]" });
  });
});

describe("levelFromArgv", () => {
  it.each([
    { argv: ["node", "p", "--log-level=debug"], level: "debug" },
    { argv: ["node", "p", "--log-level", "warning"], level: "warn" },
    // logrus at panic or fatal writes no error lines: nothing this logger writes is shown
    { argv: ["node", "p", "--features=X", "--log-level=panic"], level: "silent" },
    { argv: ["node", "p", "--log-level=fatal"], level: "silent" },
    { argv: ["node", "p", "--log-level=bogus"], level: undefined },
    // the last one wins, as with Go's flags (Velero passes its own server arguments on)
    { argv: ["node", "p", "--log-level=info", "--log-level", "debug"], level: "debug" },
    { argv: ["node", "p"], level: undefined },
  ])("$argv -> $level", ({ argv, level }) => {
    expect(levelFromArgv(argv)).toBe(level);
  });
});
