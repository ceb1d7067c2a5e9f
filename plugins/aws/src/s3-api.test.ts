import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { HeadBucketCommand } from "@aws-sdk/client-s3";
import { parseObjectStoreConfig } from "./config.js";
import { createNoopPluginLogger } from "@velero-ts/plugin-sdk";
import { createAwsS3Api, detectBucketRegion } from "./s3-api.js";
import { networkError, s3Error } from "./testing/fakes.js";

function probe(reply: () => Promise<unknown>): { send: (command: unknown) => Promise<never>; destroy: () => void; sent: unknown[]; destroyed: boolean } {
  const state = {
    sent: [] as unknown[],
    destroyed: false,
    send: async (command: unknown) => {
      state.sent.push(command);
      return (await reply()) as never;
    },
    destroy: () => {
      state.destroyed = true;
    },
  };
  return state;
}

describe("detectBucketRegion", () => {
  it("uses the region HeadBucket reports", async () => {
    const p = probe(async () => ({ BucketRegion: "eu-central-1" }));
    expect(await detectBucketRegion(p as never, { bucket: "b" }, undefined)).toBe("eu-central-1");
    expect(p.sent[0]).toBeInstanceOf(HeadBucketCommand);
    expect(p.destroyed).toBe(true);
  });

  it("reads x-amz-bucket-region from a 301 reply", async () => {
    const p = probe(async () => {
      throw Object.assign(s3Error("PermanentRedirect", 301), { $response: { headers: { "x-amz-bucket-region": "ap-southeast-2" } } });
    });
    expect(await detectBucketRegion(p as never, { bucket: "b" }, undefined)).toBe("ap-southeast-2");
  });

  it.each([
    ["AccessDenied", 403],
    ["BadRequest", 400],
  ])("reads x-amz-bucket-region from a %s (%d) reply too, as Go's GetBucketRegion", async (code, status) => {
    const p = probe(async () => {
      throw Object.assign(s3Error(code, status), { $response: { headers: { "x-amz-bucket-region": "eu-north-1" } } });
    });
    expect(await detectBucketRegion(p as never, { bucket: "b" }, undefined)).toBe("eu-north-1");
  });

  it("explains why the region could not be found", async () => {
    const p = probe(async () => {
      throw networkError("ENOTFOUND");
    });
    await expect(detectBucketRegion(p as never, { bucket: "velero-backups" }, undefined)).rejects.toThrow(
      /unable to determine the region of bucket "velero-backups": endpoint of AWS S3 in region "us-east-1" is unreachable \(ENOTFOUND\).*; set config region/,
    );
  });
});

describe("createAwsS3Api (offline: presigning only)", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  async function credentialsFile(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), "vt-aws-"));
    dirs.push(dir);
    const file = join(dir, "cloud");
    await writeFile(file, "[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = secret\n[backup]\naws_access_key_id = AKIDBACKUP\naws_secret_access_key = secret2\n");
    return file;
  }

  it("signs against publicUrl, path-style, with the requested expiry and the file's profile", async () => {
    const file = await credentialsFile();
    const settings = parseObjectStoreConfig(
      { bucket: "velero", region: "us-east-1", s3Url: "http://127.0.0.1:9", publicUrl: "https://s3.public.example", s3ForcePathStyle: "true", profile: "backup", credentialsFile: file },
      {},
    );
    const api = await createAwsS3Api(settings, createNoopPluginLogger());
    const url = new URL(await api.presignGetObject({ Bucket: "velero", Key: "backups/b1/b1-logs.gz" }, 600));
    api.close();
    expect(url.origin).toBe("https://s3.public.example");
    expect(url.pathname).toBe("/velero/backups/b1/b1-logs.gz");
    expect(url.searchParams.get("X-Amz-Expires")).toBe("600");
    expect(url.searchParams.get("X-Amz-Credential")).toMatch(/^AKIDBACKUP\/\d{8}\/us-east-1\/s3\/aws4_request$/);
    expect(url.searchParams.has("x-amz-checksum-mode")).toBe(false);
    expect(api.target).toMatchObject({ service: "S3", region: "us-east-1", endpoint: "http://127.0.0.1:9", bucket: "velero" });
  });

  it("downloads without checksum mode (x-amz-checksum-mode), as the Go plugin's GetObject and HeadObject: checksumAlgorithm is about uploads", async () => {
    const file = await credentialsFile();
    const headers: Record<string, string | string[] | undefined>[] = [];
    const server = createServer((req, res) => {
      headers.push(req.headers);
      res.setHeader("content-length", "5");
      res.end(req.method === "HEAD" ? undefined : "hello");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const settings = parseObjectStoreConfig({ bucket: "velero", region: "us-east-1", s3Url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, s3ForcePathStyle: "true", credentialsFile: file }, {});
      const api = await createAwsS3Api(settings, createNoopPluginLogger());
      const chunks: Buffer[] = [];
      for await (const c of await api.getObject({ Bucket: "velero", Key: "k" })) chunks.push(Buffer.from(c as Uint8Array));
      await api.headObject({ Bucket: "velero", Key: "k" });
      api.close();
      expect(Buffer.concat(chunks).toString()).toBe("hello");
      expect(headers).toHaveLength(2);
      for (const h of headers) expect(h["x-amz-checksum-mode"]).toBeUndefined();
    } finally {
      server.close();
    }
  });

  it("with an s3Url and no region, signs with the region of the credentials file's profile, as the Go SDK's shared config (else us-east-1)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vt-aws-"));
    dirs.push(dir);
    const file = join(dir, "cloud");
    await writeFile(file, "[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = secret\nregion = eu-west-1\n[backup]\naws_access_key_id = AKIDBACKUP\naws_secret_access_key = secret2\n");
    const saved = { AWS_REGION: process.env["AWS_REGION"], AWS_DEFAULT_REGION: process.env["AWS_DEFAULT_REGION"] };
    delete process.env["AWS_REGION"];
    delete process.env["AWS_DEFAULT_REGION"];
    try {
      const regionOf = async (profile?: string): Promise<string> => {
        const api = await createAwsS3Api(parseObjectStoreConfig({ bucket: "velero", s3Url: "http://127.0.0.1:9", credentialsFile: file, ...(profile ? { profile } : {}) }, {}), createNoopPluginLogger());
        api.close();
        const url = new URL(await api.presignGetObject({ Bucket: "velero", Key: "k" }, 60));
        expect(url.searchParams.get("X-Amz-Credential")).toContain(`/${api.target.region}/s3/aws4_request`);
        return api.target.region;
      };
      expect(await regionOf()).toBe("eu-west-1");
      expect(await regionOf("backup")).toBe("us-east-1");
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
    }
  });

  it("quotes an s3Url with a user and password in its messages without the password", async () => {
    const file = await credentialsFile();
    const settings = parseObjectStoreConfig({ bucket: "velero", region: "us-east-1", s3Url: "http://probeuser:probepass@127.0.0.1:9", credentialsFile: file }, {});
    const api = await createAwsS3Api(settings, createNoopPluginLogger());
    api.close();
    expect(api.target.endpoint).toBe("http://probeuser:xxxxx@127.0.0.1:9");
  });

  it("fails Init clearly when the profile is not in the credentials file", async () => {
    const file = await credentialsFile();
    const settings = parseObjectStoreConfig({ bucket: "velero", region: "us-east-1", s3Url: "http://127.0.0.1:9", profile: "nope", credentialsFile: file }, {});
    await expect(createAwsS3Api(settings, createNoopPluginLogger())).rejects.toThrow(`failed to load AWS credentials (profile "nope" in file "${file}")`);
  });
});
