import { describe, expect, it } from "vitest";
import { parseLosslessJson } from "@velero-ts/plugin-sdk";
import { marshalGo } from "./go-json.js";

describe("marshalGo", () => {
  it.each([
    { name: "escapes HTML characters as Go does", value: { a: "<b>&</b>" }, want: '{"a":"\\u003cb\\u003e\\u0026\\u003c/b\\u003e"}' },
    { name: "sorts map keys", value: { b: 1, a: { d: 2, c: 3 } }, want: '{"a":{"c":3,"d":2},"b":1}' },
    { name: "uses short escapes for control characters", value: ["\n\t\r\b\f\u0001"], want: '["\\n\\t\\r\\b\\f\\u0001"]' },
    { name: "escapes line and paragraph separators", value: "\u2028\u2029", want: '"\\u2028\\u2029"' },
    { name: "replaces lone surrogates", value: "a\ud800b", want: '"a\\ufffdb"' },
    { name: "keeps astral characters", value: "😀", want: '"😀"' },
    { name: "drops undefined fields and keeps null", value: { a: undefined, b: null }, want: '{"b":null}' },
    { name: "writes empty lists as []", value: { a: [] }, want: '{"a":[]}' },
    { name: "leaves an escaped backslash before 'ud800' alone", value: "\\ud800<", want: '"\\\\ud800\\u003c"' },
    { name: "replaces a lone low surrogate after a pair", value: "😀\udc00", want: '"😀\\ufffd"' },
    { name: "escapes quotes, backslashes and controls but not DEL", value: '"\\\u001f\u007f', want: '"\\"\\\\\\u001f\u007f"' },
    { name: "sorts astral keys after U+E000..U+FFFF as UTF-8 bytes do", value: { "😀": 1, "\uffff": 2, a: 3 }, want: '{"a":3,"\uffff":2,"😀":1}' },
  ])("$name", ({ value, want }) => {
    expect(marshalGo(value)).toBe(want);
  });

  it.each([3, 10, 24, 25, 80])("sorts %i keys in UTF-8 byte order, whatever their insertion order", (n) => {
    const pool = ["a", "B", "b", "aa", "a-b", "f:data", "\u00e9", "\uffff", "😀", "_", "10", "9", "z", "\u0100"];
    const keys = Array.from({ length: n }, (_, i) => `${pool[(i * 7) % pool.length]}${Math.floor(i / pool.length) || ""}`);
    const unique = [...new Set(keys)];
    // reversed, then neighbours swapped: neither sorted nor reverse-sorted
    const shuffled = unique.slice().reverse();
    for (let i = 0; i + 1 < shuffled.length; i += 2) [shuffled[i], shuffled[i + 1]] = [shuffled[i + 1] as string, shuffled[i] as string];
    // integer-like keys ("9", "10") come first in a JS object whatever their insertion order: Go sorts them as text
    const value = Object.fromEntries(shuffled.map((k) => [k, 1]));
    const byUtf8 = unique.slice().sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect(Object.keys(JSON.parse(marshalGo(value)) as object).length).toBe(unique.length);
    expect(marshalGo(value)).toBe(`{${byUtf8.map((k) => `${JSON.stringify(k)}:1`).join(",")}}`);
  });

  it.each([
    { name: "plain base64", piece: "QUJD+/=" },
    { name: "HTML characters", piece: "<&>" },
    { name: "a quote", piece: '"' },
    { name: "a backslash", piece: "\\" },
    { name: "a control character", piece: "\u0000\n" },
    { name: "U+2028", piece: "\u2028" },
    { name: "a lone surrogate", piece: "\ud800" },
    { name: "an astral character", piece: "😀" },
    { name: "DEL and Latin-1", piece: "\u007f\u00e9" },
  ])("quotes a long string (checked by parts) as a short one: $name", ({ piece }) => {
    const long = "x".repeat(300) + piece + "y".repeat(300);
    const short = marshalGo(piece);
    expect(marshalGo(long)).toBe(`"${"x".repeat(300)}${short.slice(1, -1)}${"y".repeat(300)}"`);
  });

  it("keeps insertion order when asked (Go structs)", () => {
    expect(marshalGo({ b: 1, a: 2 }, { sortKeys: false })).toBe('{"b":1,"a":2}');
  });

  it("round-trips integers beyond 2^53 exactly", () => {
    const text = '{"big":9223372036854775807,"small":42,"f":1.5}';
    expect(marshalGo(parseLosslessJson(text))).toBe('{"big":9223372036854775807,"f":1.5,"small":42}');
  });
});

describe("marshalGo on deeply nested values", () => {
  it("writes what the recursive writer writes, at depths the call stack cannot take (the API server accepts ~10,000 levels)", () => {
    const sample = { z: [1, { b: "<&>", a: null, u: undefined }, [], {}], a: { d: new Date("2024-01-02T03:04:05Z"), big: 9007199254740993n } };
    const deepText = `{"apiVersion":"x.io/v1","kind":"K","metadata":{"name":"a"},"spec":{"x":${"[".repeat(9500)}${"]".repeat(9500)},"y":${'{"k":'.repeat(9000)}1${"}".repeat(9000)}}}`;
    const deep = JSON.parse(deepText) as unknown;
    expect(marshalGo(deep)).toBe(deepText);
    expect(marshalGo({ wrap: [deep, sample] })).toBe(`{"wrap":[${deepText},${marshalGo(sample)}]}`);
    expect(marshalGo(sample)).toBe('{"a":{"big":9007199254740993,"d":"2024-01-02T03:04:05Z"},"z":[1,{"a":null,"b":"\\u003c\\u0026\\u003e"},[],{}]}');
  });
});
