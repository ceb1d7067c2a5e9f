// FrameLink.accept: the server end of a connection reads with `onread` (its accepted socket's
// handle moved into a socket that has it), and the net.Server still counts the connection.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FrameType, type Frame } from "./codec.js";
import { FrameLink } from "./link.js";

let dir: string;
let path: string;
let server: Server;
let accepted: FrameLink[];
let frames: Frame[];
let closed: (Error | undefined)[];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "vt-link-"));
  path = join(dir, "s.sock");
  // This test's arrays: a previous test's links closing late must not land in them.
  const links: FrameLink[] = (accepted = []);
  const received: Frame[] = (frames = []);
  const closes: (Error | undefined)[] = (closed = []);
  server = createServer({ pauseOnConnect: true }, (socket) => {
    links.push(FrameLink.accept(socket, { onFrame: (f) => received.push(f), onClose: (e) => closes.push(e) }));
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
});

afterEach(() => {
  for (const link of accepted) link.destroy();
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

function connectClient(): FrameLink {
  return FrameLink.connect({ path }, { onFrame: () => {}, onClose: () => {} });
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("FrameLink.accept", () => {
  it("receives a large message in one buffer of its own, small ones intact, in order", async () => {
    const client = connectClient();
    const big = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < big.length; i++) big[i] = i % 251;
    client.send(FrameType.MESSAGE, 0, 1, Buffer.from("head"));
    client.send(FrameType.MESSAGE, 0, 1, big);
    client.send(FrameType.MESSAGE, 0, 1, Buffer.from("tail"));
    await until(() => frames.length === 3, "three frames");
    expect(frames.map((f) => f.parts)).toEqual([undefined, undefined, undefined]);
    expect(frames[0]?.payload.toString()).toBe("head");
    // Read straight into one buffer of exactly the payload's size, not assembled from "data" chunks.
    expect(frames[1]?.payload.buffer.byteLength).toBe(big.length);
    expect(frames[1]?.payload.equals(big)).toBe(true);
    expect(frames[2]?.payload.toString()).toBe("tail");
    client.destroy();
  });

  it("rejects a connection that does not start with the preface", async () => {
    const { connect } = await import("node:net");
    const rogue = connect(path);
    rogue.write(Buffer.alloc(64, 0x41));
    await until(() => closed.length === 1, "the link to close");
    expect(closed[0]?.message).toMatch(/preface/);
    rogue.destroy();
  });

  it("keeps the server's connection count: close() waits for the adopted connection to end", async () => {
    const client = connectClient();
    client.send(FrameType.MESSAGE, 0, 1, Buffer.from("x"));
    await until(() => frames.length === 1, "a frame");
    const count = await new Promise<number>((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
    expect(count).toBe(1);
    let serverClosed = false;
    server.close(() => (serverClosed = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(serverClosed).toBe(false);
    client.destroy();
    await until(() => serverClosed, "the server to close once its connection ended");
    expect(closed).toEqual([undefined]);
  });
});
