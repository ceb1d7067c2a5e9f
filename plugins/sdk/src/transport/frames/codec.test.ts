import { describe, expect, it } from "vitest";
import {
  contiguous,
  decodeStatus,
  encodeFrame,
  encodeStatus,
  FLAG_END_STREAM,
  FrameDecoder,
  FrameError,
  frameHeader,
  FrameType,
  HEADER_BYTES,
  MAX_FRAME_PAYLOAD_BYTES,
  messageBytes,
  messageBytesLength,
  PREFACE,
  type Frame,
} from "./codec.js";

function decodeAll(decoder: FrameDecoder, chunks: Buffer[]): Frame[] {
  const frames: Frame[] = [];
  for (const chunk of chunks) decoder.push(chunk, (f) => frames.push({ ...f, payload: Buffer.from(f.payload) }));
  return frames;
}

const message = (id: number, text: string, flags = 0): Buffer => encodeFrame(FrameType.MESSAGE, flags, id, Buffer.from(text));

describe("FrameDecoder", () => {
  it("decodes several frames arriving in one chunk", () => {
    const chunk = Buffer.concat([encodeFrame(FrameType.OPEN, 0, 1, Buffer.from("/a.B/C")), message(1, "hello", FLAG_END_STREAM), encodeFrame(FrameType.CANCEL, 0, 3)]);
    const frames = decodeAll(new FrameDecoder(), [chunk]);
    expect(frames.map((f) => [f.type, f.flags, f.streamId, f.payload.toString()])).toEqual([
      [FrameType.OPEN, 0, 1, "/a.B/C"],
      [FrameType.MESSAGE, FLAG_END_STREAM, 1, "hello"],
      [FrameType.CANCEL, 0, 3, ""],
    ]);
  });

  it("reassembles frames split at every byte boundary", () => {
    const stream = Buffer.concat([message(7, "x".repeat(300)), message(9, "second")]);
    for (let cut = 1; cut < stream.length; cut += 13) {
      const frames = decodeAll(new FrameDecoder(), [stream.subarray(0, cut), stream.subarray(cut)]);
      expect(frames.map((f) => [f.streamId, f.payload.length])).toEqual([
        [7, 300],
        [9, 6],
      ]);
    }
    const oneByOne = decodeAll(
      new FrameDecoder(),
      [...stream].map((b) => Buffer.from([b])),
    );
    expect(oneByOne.map((f) => f.payload.toString())).toEqual(["x".repeat(300), "second"]);
  });

  it("hands out a payload within one chunk without copying it", () => {
    const chunk = message(1, "zero-copy");
    let seen: Buffer | undefined;
    new FrameDecoder().push(chunk, (f) => (seen = f.payload));
    expect(seen?.buffer).toBe(chunk.buffer);
  });

  it("checks the client preface on the server side", () => {
    const frames = decodeAll(new FrameDecoder({ expectPreface: true }), [PREFACE.subarray(0, 5), Buffer.concat([PREFACE.subarray(5), message(1, "m")])]);
    expect(frames).toHaveLength(1);
    expect(() => decodeAll(new FrameDecoder({ expectPreface: true }), [Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")])).toThrow(
      /did not start with the vtframes1 preface \(got "PRI \* HTTP\/2"\)/,
    );
  });

  it.each([
    { name: "length above the maximum", header: frameHeader(FrameType.MESSAGE, 0, 5, MAX_FRAME_PAYLOAD_BYTES + 1), error: /frame length 2147483648 exceeds the maximum of 2147483647 bytes \(stream 5/ },
    { name: "unknown type", header: frameHeader(99 as FrameType, 0, 2, 0), error: /unknown frame type 99 \(stream 2/ },
    { name: "type zero", header: frameHeader(0 as FrameType, 0, 2, 0), error: /unknown frame type 0/ },
    { name: "unknown flags", header: frameHeader(FrameType.MESSAGE, 0x80, 4, 0), error: /undecodable frame header: reserved bits set \(flags 0x80/ },
    {
      name: "reserved bits",
      header: (() => {
        const h = frameHeader(FrameType.END, 0, 4, 0);
        h.writeUInt16BE(1, 10);
        return h;
      })(),
      error: /reserved 0x1/,
    },
  ])("rejects a corrupt header: $name", ({ header, error }) => {
    expect(header.length).toBe(HEADER_BYTES);
    let thrown: unknown;
    try {
      decodeAll(new FrameDecoder(), [header]);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(FrameError);
    expect((thrown as Error).message).toMatch(error);
  });
});

describe("STATUS payload", () => {
  it("round-trips code, details and the status-details bytes", () => {
    const statusDetails = Buffer.from([1, 2, 3, 0, 255]);
    expect(decodeStatus(encodeStatus({ code: 5, details: "no such key \"k\" ✓", statusDetails }))).toEqual({ code: 5, details: "no such key \"k\" ✓", statusDetails });
  });

  it("rejects a details length beyond the frame", () => {
    const payload = encodeStatus({ code: 2, details: "abc", statusDetails: Buffer.alloc(0) });
    payload.writeUInt32BE(100, 4);
    expect(() => decodeStatus(payload)).toThrow(/details length 100 exceeds the frame \(11 bytes\)/);
  });
});

describe("FrameDecoder read-buffer mode (a client socket's onread)", () => {
  /** Feeds `stream` through readBuffer()/received() in reads of at most `readSizes[i]` bytes; keeps payloads uncopied. */
  function readAll(stream: Buffer, readSizes: number[]): { frames: Frame[]; reads: number } {
    const decoder = new FrameDecoder();
    const frames: Frame[] = [];
    let offset = 0;
    let reads = 0;
    while (offset < stream.length) {
      const target = decoder.readBuffer();
      const n = Math.min(target.length, readSizes[reads % readSizes.length] ?? 1, stream.length - offset);
      stream.copy(target, 0, offset, offset + n);
      offset += n;
      reads++;
      decoder.received(n, (f) => frames.push(f));
    }
    return { frames, reads };
  }

  const patterned = (n: number, seed: number): Buffer => {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = (i + seed) % 251;
    return b;
  };

  it("decodes small and large frames in any read split, payloads intact after later reads", () => {
    const payloads = [patterned(10, 1), patterned(1024 * 1024, 2), patterned(300, 3), patterned(40_000, 4), patterned(0, 5), patterned(200_000, 6), patterned(7, 7)];
    const stream = Buffer.concat(payloads.map((p, i) => encodeFrame(FrameType.MESSAGE, 0, i + 1, p)));
    for (const sizes of [[1], [13, 4096, 65536], [200_000], [65536], [5, 70_000, 3]]) {
      const { frames } = readAll(stream, sizes);
      expect(frames.map((f) => f.streamId)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      // payloads were kept as handed out (views or own buffers): none was overwritten by later reads
      frames.forEach((f, i) => expect(f.payload.equals(payloads[i] as Buffer), `payload ${i} with reads ${sizes.join(",")}`).toBe(true));
    }
  });

  it("reads the rest of a large payload straight into a buffer of its exact size", () => {
    const big = patterned(1024 * 1024, 9);
    const { frames, reads } = readAll(Buffer.concat([encodeFrame(FrameType.MESSAGE, 0, 1, big), message(2, "after")]), [1 << 30]);
    expect(frames[0]?.payload.buffer.byteLength).toBe(1024 * 1024);
    expect(frames[0]?.payload.equals(big)).toBe(true);
    expect(frames[1]?.payload.toString()).toBe("after");
    // one 64 KiB read with the header, one for the rest of the payload, then the next header alone and its payload
    expect(reads).toBe(4);
  });

  it("after a large payload reads the next header alone, so a following large payload is never copied out of a read chunk", () => {
    const payloads = [patterned(262_148, 1), patterned(262_148, 2), patterned(262_148, 3), patterned(30, 4), patterned(100, 5)];
    const stream = Buffer.concat(payloads.map((p, i) => encodeFrame(FrameType.MESSAGE, 0, i + 1, p)));
    const decoder = new FrameDecoder();
    const frames: Frame[] = [];
    const readLengths: number[] = [];
    let offset = 0;
    while (offset < stream.length) {
      const target = decoder.readBuffer();
      const n = Math.min(target.length, stream.length - offset);
      readLengths.push(target.length);
      stream.copy(target, 0, offset, offset + n);
      offset += n;
      decoder.received(n, (f) => frames.push(f));
    }
    frames.forEach((f, i) => expect(f.payload.equals(payloads[i] as Buffer)).toBe(true));
    // the 2nd and 3rd large payloads: header alone (12 bytes), then the whole payload into its own buffer
    expect(readLengths.slice(2, 6)).toEqual([HEADER_BYTES, 262_148, HEADER_BYTES, 262_148]);
    expect(frames[1]?.payload.buffer.byteLength).toBe(262_148);
    expect(frames[2]?.payload.buffer.byteLength).toBe(262_148);
    // small frames after it: the header alone, then back to whole read chunks
    expect(readLengths[6]).toBe(HEADER_BYTES);
    expect(readLengths[7]).toBeGreaterThan(1000);
    expect(frames[3]?.payload.buffer.byteLength).toBeGreaterThan(1000);
  });

  it("hands out small payloads as views of the read chunk", () => {
    const { frames } = readAll(Buffer.concat([message(1, "a"), message(2, "b")]), [1 << 20]);
    expect(frames[0]?.payload.buffer).toBe(frames[1]?.payload.buffer);
  });

  it("still rejects a corrupt stream", () => {
    expect(() => readAll(frameHeader(99 as FrameType, 0, 2, 0), [64])).toThrow(/unknown frame type 99/);
  });
});

describe("FrameDecoder with scatter (server side, socket data chunks)", () => {
  function patternedBytes(n: number, seed: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) % 256;
    return b;
  }
  function splitEvery(stream: Buffer, size: number): Buffer[] {
    const chunks: Buffer[] = [];
    // fresh buffers, as socket "data" chunks are
    for (let i = 0; i < stream.length; i += size) chunks.push(Buffer.from(stream.subarray(i, i + size)));
    return chunks;
  }

  it("hands a MESSAGE spread over several chunks out as views of those chunks, in order and intact", () => {
    const big = patternedBytes(300_000, 1);
    const stream = Buffer.concat([encodeFrame(FrameType.OPEN, 0, 1, Buffer.from("/a.B/C")), encodeFrame(FrameType.MESSAGE, 0, 1, big), message(1, "small"), encodeFrame(FrameType.END, 0, 1)]);
    const chunks = splitEvery(stream, 65_536);
    const frames: Frame[] = [];
    const decoder = new FrameDecoder({ scatter: true });
    for (const chunk of chunks) decoder.push(chunk, (f) => frames.push(f));
    expect(frames.map((f) => f.type)).toEqual([FrameType.OPEN, FrameType.MESSAGE, FrameType.MESSAGE, FrameType.END]);
    const scattered = frames[1] as Frame;
    expect(scattered.payload.length).toBe(0);
    expect(scattered.parts?.length).toBe(5);
    // no copy: every part is a view into one of the chunks
    for (const part of scattered.parts ?? []) expect(chunks.some((c) => c.buffer === part.buffer)).toBe(true);
    expect(contiguous(messageBytes(scattered)).equals(big)).toBe(true);
    expect(messageBytesLength(messageBytes(scattered))).toBe(big.length);
    // a message within one chunk stays one buffer
    expect(frames[2]?.parts).toBeUndefined();
    expect(Buffer.isBuffer(messageBytes(frames[2] as Frame))).toBe(true);
    expect(frames[2]?.payload.toString()).toBe("small");
  });

  it("assembles frames other than MESSAGE (an OPEN spread over chunks), and empty messages need no chunk", () => {
    const path = `/${"x".repeat(100)}`;
    const stream = Buffer.concat([encodeFrame(FrameType.OPEN, 0, 1, Buffer.from(path)), encodeFrame(FrameType.MESSAGE, FLAG_END_STREAM, 1)]);
    const frames: Frame[] = [];
    const decoder = new FrameDecoder({ scatter: true });
    for (const chunk of splitEvery(stream, 7)) decoder.push(chunk, (f) => frames.push(f));
    expect(frames[0]?.parts).toBeUndefined();
    expect(frames[0]?.payload.toString()).toBe(path);
    expect(frames[1]?.payload.length).toBe(0);
    expect(frames[1]?.parts).toBeUndefined();
  });

  it("decodes the same payloads as the assembling decoder for any chunk size", () => {
    const payloads = [patternedBytes(10, 1), patternedBytes(40_000, 2), patternedBytes(0, 3), patternedBytes(70_000, 4), patternedBytes(5, 5)];
    const stream = Buffer.concat(payloads.map((p, i) => encodeFrame(FrameType.MESSAGE, 0, i + 1, p)));
    for (const size of [1000, 12, 13, 4096, 65_536, 100_000, stream.length]) {
      const frames: Frame[] = [];
      const decoder = new FrameDecoder({ scatter: true });
      for (const chunk of splitEvery(stream, size)) decoder.push(chunk, (f) => frames.push(f));
      expect(frames.map((f) => contiguous(messageBytes(f)).equals(payloads[f.streamId - 1] as Buffer)), `chunks of ${size}`).toEqual(payloads.map(() => true));
    }
  });
});
