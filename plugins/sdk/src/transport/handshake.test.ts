import { describe, expect, it } from "vitest";
import { PluginProtocolError } from "../contract/errors.js";
import { formatHandshake, offersFrames, parseHandshake } from "./handshake.js";

describe("parseHandshake", () => {
  it.each([
    { name: "Go plugin unix line with trailing |", line: "1|2|unix|/tmp/plugin123|grpc|\n", network: "unix", address: "/tmp/plugin123" },
    { name: "five fields", line: "1|2|unix|/tmp/p.sock|grpc", network: "unix", address: "/tmp/p.sock" },
    { name: "seven fields (mux flag)", line: "1|2|unix|/tmp/p|grpc||false", network: "unix", address: "/tmp/p" },
    { name: "tcp loopback", line: "1|2|tcp|127.0.0.1:41234|grpc|", network: "tcp", address: "127.0.0.1:41234" },
    { name: "surrounding whitespace", line: "  1|2|unix|/tmp/x|grpc|  \r\n", network: "unix", address: "/tmp/x" },
  ])("accepts $name", ({ line, network, address }) => {
    expect(parseHandshake(line)).toEqual({ coreVersion: 1, appVersion: 2, network, address, protocol: "grpc", serverCert: "" });
  });

  it.each([
    { name: "garbage", line: "hello world", error: /at least 4 "\|"-separated fields/ },
    { name: "too few fields", line: "1|2|unix", error: /got 3/ },
    { name: "wrong core version", line: "2|2|unix|/tmp/p|grpc|", error: /core protocol version "2"/ },
    { name: "non-numeric core version", line: "x|2|unix|/tmp/p|grpc|", error: /core protocol version "x"/ },
    { name: "wrong app version", line: "1|1|unix|/tmp/p|grpc|", error: /plugin protocol version "1" is not supported \(expected 2\)/ },
    { name: "bad network", line: "1|2|udp|/tmp/p|grpc|", error: /network "udp"/ },
    { name: "empty address", line: "1|2|unix||grpc|", error: /address field is empty/ },
    { name: "netrpc", line: "1|2|unix|/tmp/p|netrpc|", error: /protocol "netrpc" is not supported.*"grpc"/ },
    { name: "missing protocol means netrpc", line: "1|2|unix|/tmp/p", error: /protocol "netrpc"/ },
    { name: "unknown protocol", line: "1|2|unix|/tmp/p|http|", error: /unknown protocol "http"/ },
    { name: "AutoMTLS cert", line: `1|2|unix|/tmp/p|grpc|${"A".repeat(60)}`, error: /TLS/ },
  ])("rejects $name", ({ line, error }) => {
    expect(() => parseHandshake(line)).toThrow(PluginProtocolError);
    expect(() => parseHandshake(line)).toThrow(error);
  });

  it("accepts vtframes1 only when the host offered it", () => {
    const line = "1|2|unix|/tmp/p.sock|vtframes1|";
    expect(parseHandshake(line, { offered: ["vtframes1"] })).toMatchObject({ protocol: "vtframes1", address: "/tmp/p.sock" });
    expect(() => parseHandshake(line)).toThrow(/unknown protocol "vtframes1" \(expected "grpc"\)/);
    expect(() => parseHandshake(line, { offered: [] })).toThrow(PluginProtocolError);
    // a plugin may always answer grpc, whatever was offered (Go plugins do)
    expect(parseHandshake("1|2|unix|/tmp/p.sock|grpc|", { offered: ["vtframes1"] }).protocol).toBe("grpc");
  });

  it.each([
    { value: undefined, offered: false },
    { value: "", offered: false },
    { value: "vtframes1", offered: true },
    { value: "h3, vtframes1", offered: true },
    { value: "vtframes10", offered: false },
  ])("reads the protocol offer $value as $offered", ({ value, offered }) => {
    expect(offersFrames(value)).toBe(offered);
  });

  it("prints the negotiated protocol in the 5th field", () => {
    expect(formatHandshake("tcp", "127.0.0.1:4000", "vtframes1")).toBe("1|2|tcp|127.0.0.1:4000|vtframes1|\n");
  });

  it("round-trips what formatHandshake prints", () => {
    const line = formatHandshake("unix", "/tmp/plugin9/plugin.sock");
    expect(line).toBe("1|2|unix|/tmp/plugin9/plugin.sock|grpc|\n");
    expect(parseHandshake(line).address).toBe("/tmp/plugin9/plugin.sock");
  });
});
