import { describe, expect, it } from "vitest";
import { crashesGoPluginHost, guardStderrText } from "./stderr-guard.js";

describe("crashesGoPluginHost", () => {
  it.each([
    ['{"@message": 42}', true],
    ['  {"@level": 7, "x": 1}', true],
    ['{"@timestamp": 1}', true],
    ['{"@message": null}', true],
    ['{"@message": {"nested": true}}', true],
    ['{"@message": "fine", "@level": "info"}', false],
    ['{"@timestamp": "not a time"}', false], // a string: the host's time.Parse fails and it logs the line as text
    ['{"msg": 42}', false],
    ['[{"@message": 42}]', false], // not an object: go-plugin's Unmarshal into a map fails, the line is text
    ['{"@message": 42', false], // not JSON
    ["plain text", false],
    ["", false],
  ])("%s → %s", (line, crashes) => {
    expect(crashesGoPluginHost(line)).toBe(crashes);
  });
});

describe("guardStderrText", () => {
  it("rewrites only the lines that would crash the host, as debug entries carrying the line", () => {
    const out = guardStderrText('first\n{"@message": 42, "note": "n"}\n{"@message":"ok","@level":"info"}\n');
    const lines = out.split("\n");
    expect(lines[0]).toBe("first");
    expect(JSON.parse(lines[1] as string)).toEqual({ "@level": "debug", "@message": '{"@message": 42, "note": "n"}' });
    expect(lines[2]).toBe('{"@message":"ok","@level":"info"}');
    expect(lines.slice(3)).toEqual([""]);
    for (const line of lines) expect(crashesGoPluginHost(line)).toBe(false);
  });

  it("ends every write with a newline, so a later write cannot complete a line it did not see", () => {
    expect(guardStderrText('{"@message":')).toBe('{"@message":\n');
    expect(guardStderrText("a\nb")).toBe("a\nb\n");
    expect(guardStderrText("")).toBe("");
    expect(guardStderrText("\n")).toBe("\n");
  });
});
