// velero.io/aws ObjectStore against moto, with the plugin running as a real process spawned by
// the host's plugin manager (discovered from a --plugin-dir, called over gRPC).
import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { PutObjectCommand, GetObjectTaggingCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ObjectStore } from "@velero-ts/plugin-sdk";
import { describeObjectStoreConformance, readAll } from "@velero-ts/plugin-sdk/testing";
import { loadEndpoints } from "../../helpers/endpoints.ts";
import { bslConfig, createBucket, motoClients, peakRssBytes, startAwsPluginHost, type AwsPluginHost } from "./helpers.ts";

const MiB = 1024 * 1024;

describe("velero.io/aws object store (plugin process, moto)", () => {
  let host: AwsPluginHost;
  const { s3 } = motoClients();

  beforeAll(async () => {
    host = await startAwsPluginHost();
  });
  afterAll(async () => {
    await host?.close();
  });

  describeObjectStoreConformance(
    "velero.io/aws (default CRC32 checksums)",
    async () => {
      const bucket = await createBucket(s3);
      const config = bslConfig(bucket);
      return { store: await host.manager.getObjectStore("aws", config), bucket, config };
    },
    { largeObjectBytes: 12 * MiB },
  );

  describeObjectStoreConformance("velero.io/aws (checksumAlgorithm \"\", as for S3-compatible stores)", async () => {
    const bucket = await createBucket(s3);
    const config = bslConfig(bucket, { checksumAlgorithm: "", prefix: "velero" });
    return { store: await host.manager.getObjectStore("aws", config), bucket, config };
  });

  describe("at scale (own plugin process)", () => {
    let scaleHost: AwsPluginHost;
    let store: ObjectStore;
    let bucket: string;

    beforeAll(async () => {
      scaleHost = await startAwsPluginHost({ logLevel: "info" });
      bucket = await createBucket(s3);
      store = await scaleHost.manager.getObjectStore("velero.io/aws", bslConfig(bucket));
    });
    afterAll(async () => {
      await scaleHost?.close();
    });

    it("round-trips a 300 MiB object while the plugin process stays under 150 MiB RSS", async () => {
      const size = 300 * MiB;
      const chunk = randomBytes(MiB);
      const sent = createHash("sha256");
      // A generator, so the test process never holds the object either.
      const body = Readable.from(
        (function* () {
          for (let i = 0; i < size / MiB; i++) {
            const part = Buffer.from(chunk);
            part.writeUInt32BE(i, 0);
            sent.update(part);
            yield part;
          }
        })(),
      );
      await store.putObject(bucket, "backups/big/big.tar.gz", body);

      const received = createHash("sha256");
      let bytes = 0;
      for await (const piece of await store.getObject(bucket, "backups/big/big.tar.gz")) {
        bytes += (piece as Buffer).length;
        received.update(piece as Buffer);
      }
      expect(bytes).toBe(size);
      expect(received.digest("hex")).toBe(sent.digest("hex"));

      const peak = peakRssBytes(scaleHost.pluginPid());
      expect(peak, `plugin VmHWM ${(peak / MiB).toFixed(1)} MiB`).toBeLessThan(150 * MiB);
    });

    it("lists 2,500 keys and 2,500 common prefixes completely", async () => {
      const keys = Array.from({ length: 2500 }, (_, i) => `many/b${String(i).padStart(4, "0")}/velero-backup.json`);
      for (let i = 0; i < keys.length; i += 100) {
        await Promise.all(keys.slice(i, i + 100).map((Key) => s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: "{}" }))));
      }
      const listed = await store.listObjects(bucket, "many/");
      expect(listed).toHaveLength(2500);
      expect([...listed].sort()).toEqual(keys);
      const prefixes = await store.listCommonPrefixes(bucket, "many/", "/");
      expect(prefixes).toHaveLength(2500);
      expect(prefixes[2499]).toBe("many/b2499/");
    });

    it("signs a URL that plain HTTP can fetch, carrying the TTL in seconds", async () => {
      await store.putObject(bucket, "backups/b1/b1-logs.gz", Readable.from([Buffer.from("log lines")]));
      const before = Date.now();
      const url = new URL(await store.createSignedUrl(bucket, "backups/b1/b1-logs.gz", 90_000));
      expect(url.origin).toBe(loadEndpoints().s3.endpoint);
      expect(url.searchParams.get("X-Amz-Expires")).toBe("90");
      const signedAt = url.searchParams.get("X-Amz-Date") ?? "";
      const signedMs = Date.parse(signedAt.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, "$1-$2-$3T$4:$5:$6Z"));
      expect(Math.abs(signedMs - before)).toBeLessThan(60_000);
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe("log lines");
      // moto 5.2.5 does not enforce X-Amz-Expires (it serves presigned URLs after expiry), so
      // refusal after the TTL cannot be observed here; the expiry the URL carries is asserted above.
    });

    it("tags uploaded objects with the tagging config", async () => {
      const tagged = await host.manager.getObjectStore("aws", bslConfig(bucket, { tagging: "team=infra&env=test" }));
      await tagged.putObject(bucket, "tagged/obj", Readable.from([Buffer.from("x")]));
      const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: "tagged/obj" }));
      expect(tags.TagSet).toEqual(expect.arrayContaining([{ Key: "team", Value: "infra" }, { Key: "env", Value: "test" }]));
    });
  });

  describe("configuration and errors, as the host sees them", () => {
    it("rejects unknown config keys at Init, listing the valid ones", async () => {
      const bucket = await createBucket(s3);
      const error = await host.manager.getObjectStore("aws", bslConfig(bucket, { endpoint: "http://x" })).catch((e: unknown) => e);
      expect(String((error as Error).message)).toMatch(/invalid keys \[endpoint\]; valid keys are \[region s3Url publicUrl/);
    });

    it("names the bucket and endpoint when the bucket does not exist", async () => {
      const store = await host.manager.getObjectStore("aws", bslConfig("vt-aws-no-such-bucket"));
      const error = await store.listObjects("vt-aws-no-such-bucket", "backups/").catch((e: unknown) => e);
      expect((error as Error).message).toContain(
        `bucket "vt-aws-no-such-bucket" does not exist (NoSuchBucket); create it or fix spec.objectStorage.bucket`,
      );
      expect((error as Error).message).toContain(`endpoint "${loadEndpoints().s3.endpoint}"`);
    });

    it("names the endpoint when it is unreachable, without credentials in the message", async () => {
      const store = await host.manager.getObjectStore("aws", bslConfig("vt-aws-b", { s3Url: "http://127.0.0.1:1" }));
      const error = await store.objectExists("vt-aws-b", "backups/b1/velero-backup.json").catch((e: unknown) => e);
      const message = (error as Error).message;
      expect(message).toContain('endpoint "http://127.0.0.1:1" is unreachable (ECONNREFUSED)');
      expect(message).not.toContain(loadEndpoints().s3.secretAccessKey);
    });

    it("detects the bucket's region when the config has neither region nor s3Url", async () => {
      const bucket = await createBucket(s3, "eu-west-1");
      const detecting = await startAwsPluginHost({ env: { AWS_ENDPOINT_URL_S3: loadEndpoints().s3.endpoint } });
      try {
        const store = await detecting.manager.getObjectStore("aws", { bucket, s3ForcePathStyle: "true" });
        await store.putObject(bucket, "k", Readable.from([Buffer.from("eu")]));
        expect((await readAll(await store.getObject(bucket, "k"))).toString()).toBe("eu");
        const resolved = detecting.logger.records.find((r) => r.message === "resolved the bucket region");
        expect(resolved?.fields).toMatchObject({ region: "eu-west-1", bucket });
      } finally {
        await detecting.close();
      }
    });
  });
});
