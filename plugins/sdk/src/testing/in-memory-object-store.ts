// An ObjectStore kept in memory: the reference implementation the conformance suite is checked
// against, and a fake for tests of code that uses an ObjectStore.
import { Readable } from "node:stream";
import { NotFoundError } from "../contract/errors.js";
import type { ObjectStore } from "../contract/plugins.js";

const READ_CHUNK = 64 * 1024;

export class InMemoryObjectStore implements ObjectStore {
  readonly #buckets = new Map<string, Map<string, Buffer>>();
  #config: Record<string, string> = {};
  #initCount = 0;

  /** The config of the last init() call. */
  get config(): Record<string, string> {
    return { ...this.#config };
  }

  /** How many times init() was called. */
  get initCount(): number {
    return this.#initCount;
  }

  init(config: Record<string, string>): Promise<void> {
    this.#config = { ...config };
    this.#initCount++;
    return Promise.resolve();
  }

  async putObject(bucket: string, key: string, body: Readable): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of body as AsyncIterable<Buffer | string>) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
    this.#bucket(bucket).set(key, Buffer.concat(chunks));
  }

  objectExists(bucket: string, key: string): Promise<boolean> {
    return Promise.resolve(this.#buckets.get(bucket)?.has(key) ?? false);
  }

  getObject(bucket: string, key: string): Promise<Readable> {
    const data = this.#buckets.get(bucket)?.get(key);
    if (!data) return Promise.reject(new NotFoundError(`object "${key}" not found in bucket "${bucket}"`));
    return Promise.resolve(Readable.from(slices(data), { objectMode: false }));
  }

  listCommonPrefixes(bucket: string, prefix: string, delimiter: string): Promise<string[]> {
    const prefixes = new Set<string>();
    for (const key of this.#buckets.get(bucket)?.keys() ?? []) {
      if (!key.startsWith(prefix)) continue;
      const at = key.indexOf(delimiter, prefix.length);
      if (at >= 0) prefixes.add(key.slice(0, at + delimiter.length));
    }
    return Promise.resolve([...prefixes].sort());
  }

  listObjects(bucket: string, prefix: string): Promise<string[]> {
    return Promise.resolve([...(this.#buckets.get(bucket)?.keys() ?? [])].filter((k) => k.startsWith(prefix)).sort());
  }

  deleteObject(bucket: string, key: string): Promise<void> {
    this.#buckets.get(bucket)?.delete(key);
    return Promise.resolve();
  }

  /** A `data:` URL holding the object (fetchable with fetch(); the TTL is irrelevant in memory). */
  createSignedUrl(bucket: string, key: string, _ttlMs: number): Promise<string> {
    const data = this.#buckets.get(bucket)?.get(key);
    if (!data) return Promise.reject(new NotFoundError(`object "${key}" not found in bucket "${bucket}"`));
    return Promise.resolve(`data:application/octet-stream;base64,${data.toString("base64")}`);
  }

  #bucket(name: string): Map<string, Buffer> {
    let bucket = this.#buckets.get(name);
    if (!bucket) {
      bucket = new Map();
      this.#buckets.set(name, bucket);
    }
    return bucket;
  }
}

function* slices(data: Buffer): Generator<Buffer> {
  for (let offset = 0; offset < data.length; offset += READ_CHUNK) yield data.subarray(offset, offset + READ_CHUNK);
}
