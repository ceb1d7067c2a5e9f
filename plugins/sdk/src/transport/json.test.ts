import { describe, expect, it } from "vitest";
import { ValidationError } from "../contract/errors.js";
import { decodeJson, encodeJson, jsonSyntaxMessage, mayHoldUnsafeInteger, parseJson, parseLosslessJson, stringifyLosslessJson } from "./json.js";

describe("lossless item JSON", () => {
  it.each([
    { name: "int64 max", text: '{"n":9223372036854775807}', value: { n: 9223372036854775807n } },
    { name: "int64 min", text: '{"n":-9223372036854775808}', value: { n: -9223372036854775808n } },
    { name: "2^53 + 1", text: '{"n":9007199254740993}', value: { n: 9007199254740993n } },
    { name: "largest safe integer stays a number", text: '{"n":9007199254740991}', value: { n: 9007199254740991 } },
    { name: "small numbers and floats", text: '{"a":1,"b":-2.5,"c":1e3,"d":0}', value: { a: 1, b: -2.5, c: 1000, d: 0 } },
    { name: "long digit strings stay strings", text: '{"s":"12345678901234567890","n":[1,2]}', value: { s: "12345678901234567890", n: [1, 2] } },
    { name: "nested in arrays", text: '[{"x":[18446744073709551615]}]', value: [{ x: [18446744073709551615n] }] },
  ])("parses $name exactly", ({ text, value }) => {
    expect(parseLosslessJson(text)).toEqual(value);
  });

  it("writes bigint values back verbatim", () => {
    const text = '{"metadata":{"generation":9223372036854775807},"spec":{"replicas":3,"ratio":0.25}}';
    expect(stringifyLosslessJson(parseLosslessJson(text))).toBe(text);
  });

  it("uses native JSON when no bigint is present", () => {
    expect(stringifyLosslessJson({ a: [1, "x", null, true] })).toBe('{"a":[1,"x",null,true]}');
  });

  it("round-trips through proto bytes", () => {
    const value = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { big: 12345678901234567890n } };
    expect(decodeJson(encodeJson(value), "item")).toEqual(value);
  });

  it.each([
    { name: "empty bytes", bytes: Buffer.alloc(0), message: /item: the JSON payload is empty/ },
    { name: "invalid JSON", bytes: Buffer.from("{not json"), message: /item: invalid JSON/ },
  ])("rejects $name with a ValidationError naming the field", ({ bytes, message }) => {
    expect(() => decodeJson(bytes, "item")).toThrow(ValidationError);
    expect(() => decodeJson(bytes, "item")).toThrow(message);
  });
});

describe("mayHoldUnsafeInteger", () => {
  it("agrees with /\\d{16}/ on runs of every length at every offset, and on real JSON", () => {
    const re = /\d{16}/;
    const texts: string[] = ['{"a":1}', "", "1".repeat(15), "1".repeat(16), '{"replicas":9007199254740993}', `{"pad":"${"x".repeat(2000)}","n":12345678901234567}`];
    for (let run = 0; run <= 40; run++) {
      for (let offset = 0; offset <= 33; offset++) {
        texts.push(`${"a".repeat(offset)}${"7".repeat(run)}b`, `${"a".repeat(offset)}${"0".repeat(run)}`, `${"٣".repeat(offset)}${"9".repeat(run)}${"1".repeat(offset % 3)}`);
      }
    }
    // two shorter runs around a non-digit must not count as one
    texts.push(`${"1".repeat(10)}x${"2".repeat(10)}`, `${"1".repeat(15)}.${"2".repeat(15)}`);
    for (const text of texts) expect(mayHoldUnsafeInteger(text), JSON.stringify(text.slice(0, 60))).toBe(re.test(text));
  });
});

describe("JSON syntax errors quote none of the input", () => {
  // A Secret item whose data lost its quotes: V8's message would carry "U0VDUkVUTU" (base64 of the secret).
  const secretItem = '{"apiVersion":"v1","kind":"Secret","data":{"password":U0VDUkVUTUFSS0VS}}';
  const longDigits = `{"n":12345678901234567,"data":{"password":U0VDUkVUTUFSS0VS}}`;

  it.each([
    ["parseJson", () => parseJson(secretItem)],
    ["parseLosslessJson (native path)", () => parseLosslessJson(secretItem)],
    ["parseLosslessJson (lossless path)", () => parseLosslessJson(longDigits)],
    ["decodeJson", () => decodeJson(Buffer.from(secretItem), "item")],
  ])("%s", (_name, parse) => {
    let message = "";
    try {
      parse();
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).not.toBe("");
    expect(message).not.toContain("U0VD");
    expect(message).not.toContain("password");
  });

  it("keeps the reason and drops V8's quoted snippet", () => {
    let v8 = "";
    try {
      JSON.parse(secretItem);
    } catch (err) {
      v8 = (err as Error).message;
    }
    expect(v8).toContain("U0VD"); // what is being removed: V8 quotes the text around the error
    expect(jsonSyntaxMessage(v8)).toBe("Unexpected token 'U' in JSON");
    expect(jsonSyntaxMessage(`Unexpected token ',', "{"a":,"b":1}" is not valid JSON`)).toBe("Unexpected token ',' in JSON");
    expect(jsonSyntaxMessage(`"undefined" is not valid JSON`)).toBe("the text is not valid JSON");
    expect(jsonSyntaxMessage("Unexpected end of JSON input")).toBe("Unexpected end of JSON input");
    expect(jsonSyntaxMessage("Bad control character in string literal in JSON at position 5 (line 1 column 6)")).toBe(
      "Bad control character in string literal in JSON at position 5 (line 1 column 6)",
    );
  });
});
