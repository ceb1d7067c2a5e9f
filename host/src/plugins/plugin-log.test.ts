import { describe, expect, it } from "vitest";
import { captureLogger, type Captured } from "../testing/capturing-logger.js";
import { createLineSplitter, createPluginLogSink } from "./plugin-log.js";

describe("createPluginLogSink", () => {
  it.each([
    {
      name: "hclog JSON keeps level, message and fields, drops duplicates",
      line: '{"@level":"warn","@message":"slow","@timestamp":"2024-01-01T00:00:00.000000Z","level":"warning","bucket":"b"}',
      want: { level: "warn", message: "slow", fields: { bucket: "b" } },
    },
    {
      name: "unknown hclog level is logged at debug",
      line: '{"@level":"warning","@message":"x"}',
      want: { level: "debug", message: "x", fields: {} },
    },
    {
      name: "non-string @message is treated as plain text",
      line: '{"@level":"info","@message":42}',
      want: { level: "debug", message: '{"@level":"info","@message":42}', fields: {} },
    },
    // go-plugin logs the whole line
    { name: "[ERROR] prefix picks the level", line: "[ERROR] boom", want: { level: "error", message: "[ERROR] boom", fields: {} } },
    {
      name: "a JSON line whose @timestamp is not hclog's exact format is plain text (go-plugin's parseJSON refuses it)",
      line: '{"@level":"info","@message":"m","@timestamp":"2024-01-01T00:00:00.000Z"}',
      want: { level: "debug", message: '{"@level":"info","@message":"m","@timestamp":"2024-01-01T00:00:00.000Z"}', fields: {} },
    },
    {
      name: "Velero's @logSourceSetBy marker is dropped, logSource kept",
      line: '{"@level":"info","@message":"m","@logSourceSetBy":"velero-plugin-x","logSource":"pkg/x.go:12"}',
      want: { level: "info", message: "m", fields: { logSource: "pkg/x.go:12" } },
    },
    { name: "plain text is debug", line: "hello there", want: { level: "debug", message: "hello there", fields: {} } },
  ])("$name", ({ line, want }) => {
    const records: Captured[] = [];
    createPluginLogSink(captureLogger(records), { plugin: "p", cmd: "/x/p" }).line(line);
    expect(records).toEqual([{ level: want.level, message: want.message, fields: { plugin: "p", cmd: "/x/p", ...want.fields } }]);
  });

  it("lets a line's own plugin field override the executable name", () => {
    const records: Captured[] = [];
    createPluginLogSink(captureLogger(records), { plugin: "velero-plugin-x", cmd: "/p/x" }).line('{"@level":"info","@message":"m","plugin":"x.io/store"}');
    expect(records[0]?.fields).toEqual({ plugin: "x.io/store", cmd: "/p/x" });
  });

  it("after a plain panic line, logs the plain lines that follow (its stack) as errors; JSON lines keep their level (go-plugin v1.7)", () => {
    const records: Captured[] = [];
    const sink = createPluginLogSink(captureLogger(records));
    sink.line("[INFO] fine");
    sink.line("panic: runtime error");
    sink.line("goroutine 1 [running]:");
    sink.line('{"@level":"debug","@message":"later"}');
    expect(records.map((r) => r.level)).toEqual(["info", "error", "error", "debug"]);
    // a JSON line that happens to start a message with "panic: " starts nothing
    const json: Captured[] = [];
    const other = createPluginLogSink(captureLogger(json));
    other.line('{"@level":"info","@message":"panic: not really"}');
    other.line("plain");
    expect(json.map((r) => r.level)).toEqual(["info", "debug"]);
  });

  it("ignores blank lines", () => {
    const records: Captured[] = [];
    createPluginLogSink(captureLogger(records)).line("   ");
    expect(records).toEqual([]);
  });
});

describe("createLineSplitter", () => {
  it("joins lines across chunks and strips CR", () => {
    const lines: string[] = [];
    const splitter = createLineSplitter((l) => lines.push(l));
    splitter.push(Buffer.from("ab"));
    splitter.push(Buffer.from("c\r\nde\n\nf"));
    splitter.end();
    expect(lines).toEqual(["abc", "de", "", "f"]);
  });

  it("cuts over-long lines into pieces of the maximum size", () => {
    const lines: string[] = [];
    const splitter = createLineSplitter((l) => lines.push(l), 4);
    splitter.push(Buffer.from("abcdefghij\nxy"));
    splitter.end();
    expect(lines).toEqual(["abcd", "efgh", "ij", "xy"]);
  });
});
