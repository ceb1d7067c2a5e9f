/** A minimal ObjectStore in memory (until @velero-ts/plugin-sdk/testing ships InMemoryObjectStore). */
import { Readable } from "node:stream";
import { NotFoundError, type ObjectStore } from "@velero-ts/plugin-sdk";

export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, Buffer>();
  readonly puts: string[] = [];
  config: Record<string, string> = {};
  failPutOn: ((key: string) => boolean) | undefined;

  async init(config: Record<string, string>): Promise<void> {
    this.config = { ...config };
  }

  async putObject(bucket: string, key: string, body: Readable): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(Buffer.from(c as Buffer));
    if (this.failPutOn?.(key)) throw new Error(`put ${key} failed`);
    this.objects.set(`${bucket}/${key}`, Buffer.concat(chunks));
    this.puts.push(key);
  }

  async objectExists(bucket: string, key: string): Promise<boolean> {
    return this.objects.has(`${bucket}/${key}`);
  }

  async getObject(bucket: string, key: string): Promise<Readable> {
    const data = this.objects.get(`${bucket}/${key}`);
    if (!data) throw new NotFoundError(`object "${key}" not found in bucket "${bucket}"`);
    return Readable.from([data]);
  }

  async listCommonPrefixes(bucket: string, prefix: string, delimiter: string): Promise<string[]> {
    const out = new Set<string>();
    for (const full of this.objects.keys()) {
      if (!full.startsWith(`${bucket}/`)) continue;
      const key = full.slice(bucket.length + 1);
      if (!key.startsWith(prefix)) continue;
      const i = key.indexOf(delimiter, prefix.length);
      if (i >= 0) out.add(key.slice(0, i + delimiter.length));
    }
    return [...out].sort();
  }

  async listObjects(bucket: string, prefix: string): Promise<string[]> {
    return [...this.objects.keys()]
      .filter((k) => k.startsWith(`${bucket}/${prefix}`))
      .map((k) => k.slice(bucket.length + 1))
      .sort();
  }

  async deleteObject(bucket: string, key: string): Promise<void> {
    this.objects.delete(`${bucket}/${key}`);
  }

  async createSignedUrl(bucket: string, key: string, ttlMs: number): Promise<string> {
    return `memory://${bucket}/${key}?ttl=${ttlMs}`;
  }

  /** Keys in the bucket, sorted. */
  keys(bucket: string): string[] {
    return [...this.objects.keys()].filter((k) => k.startsWith(`${bucket}/`)).map((k) => k.slice(bucket.length + 1)).sort();
  }

  get(bucket: string, key: string): Buffer | undefined {
    return this.objects.get(`${bucket}/${key}`);
  }
}
