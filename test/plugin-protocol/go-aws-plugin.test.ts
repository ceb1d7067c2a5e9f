// Go compatibility: the real velero-plugin-for-aws (Go, go-plugin v1.6, built from the Go module
// proxy in peer set velero118) discovered and driven by OUR host's plugin manager against moto S3.
// Every ObjectStore rpc: Init, PutObject, GetObject, ListObjects, ListCommonPrefixes, ObjectExists,
// DeleteObject, CreateSignedURL.
//
// The binary comes from $VT_GO_AWS_PLUGIN or $PEERS_HOME/peers.json `bin.veleroPluginForAws`
// (scripts/peers-install.sh step velero118: test/peers/go/velero118/build.sh). A missing binary
// FAILS this suite with instructions: issue 2 is not resolved without it.
import { existsSync, readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ObjectStore } from "@velero-ts/plugin-sdk";
import { DefaultPluginManager } from "../../host/src/plugins/default-manager.ts";
import { discoverPlugins, pluginArgs } from "../../host/src/plugins/registry.ts";
import { loadEndpoints } from "../helpers/endpoints.ts";
import { generateBytes } from "../fixtures/plugins/generated-bytes.ts";
import { captureLogger, installLink, tempDir, type LogRecord } from "./helpers.ts";

function goAwsPlugin(): string {
  const fromEnv = process.env["VT_GO_AWS_PLUGIN"];
  if (fromEnv) return fromEnv;
  const peersJson = join(process.env["PEERS_HOME"] ?? "/var/cache/velero-ts-peers", "peers.json");
  const bin = existsSync(peersJson) ? (JSON.parse(readFileSync(peersJson, "utf8")) as { bin?: Record<string, string> }).bin?.["veleroPluginForAws"] : undefined;
  if (!bin || !existsSync(bin)) {
    throw new Error(
      `the Go velero-plugin-for-aws peer is not built (looked at $VT_GO_AWS_PLUGIN and ${peersJson} bin.veleroPluginForAws); ` +
        "build it with `bash test/peers/go/velero118/build.sh <dir>` (scripts/peers-install.sh runs it as step velero118)",
    );
  }
  return bin;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

const BUCKET = `vt-go-aws-${process.pid}`;
let pluginDir: string;
let manager: DefaultPluginManager;
let store: ObjectStore;
const records: LogRecord[] = [];

beforeAll(async () => {
  const plugin = goAwsPlugin();
  const { s3 } = loadEndpoints();
  const credentials = { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey };
  const s3client = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials });
  await s3client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  s3client.destroy();

  pluginDir = await tempDir("vt-pp-go-");
  await installLink(pluginDir, plugin, "velero-plugin-for-aws");
  const logger = captureLogger(records);
  // Go plugins validate the flags they know: --log-level must be a logrus name ("warn" -> "warning")
  // The host offers vtframes1 (explicitly, whatever VELERO_TS_PLUGIN_TRANSPORT says); a Go plugin must answer grpc.
  const registry = await discoverPlugins({ pluginDir, args: pluginArgs({ logLevel: "warn", features: [] }), logger, handshakeTimeoutMs: 60_000, transport: "vtframes1" });
  expect(registry.problems()).toEqual([]);
  manager = new DefaultPluginManager({
    registry,
    logger,
    env: { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_EC2_METADATA_DISABLED: "true" },
    transport: "vtframes1",
  });
  // exactly the keys Velero passes for a BSL (the AWS plugin rejects unknown keys)
  store = await manager.getObjectStore("aws", { region: s3.region, s3Url: s3.endpoint, s3ForcePathStyle: "true", bucket: BUCKET, prefix: "" });
});

afterAll(async () => {
  await manager?.close();
  if (pluginDir) await rm(pluginDir, { recursive: true, force: true });
});

describe("Go velero-plugin-for-aws under the velero-ts host (moto S3)", () => {
  it("answers grpc although the host offered vtframes1", () => {
    expect(manager.processes().map((p) => p.protocol)).toEqual(["grpc"]);
  });

  it("is discovered with its ObjectStore and VolumeSnapshotter", () => {
    const listed = manager.list().map((p) => `${p.kind}/${p.name}`);
    expect(listed).toEqual(expect.arrayContaining(["ObjectStore/velero.io/aws", "VolumeSnapshotter/velero.io/aws"]));
  });

  it("puts, gets, lists, checks, signs and deletes objects", async () => {
    await store.putObject(BUCKET, "backups/b1/velero-backup.json", Readable.from([Buffer.from('{"kind":"Backup"}')]));
    await store.putObject(BUCKET, "backups/b2/velero-backup.json", Readable.from([Buffer.from("{}")]));
    await store.putObject(BUCKET, "backups/b1/empty", Readable.from([]));
    expect((await readAll(await store.getObject(BUCKET, "backups/b1/velero-backup.json"))).toString()).toBe('{"kind":"Backup"}');
    expect((await readAll(await store.getObject(BUCKET, "backups/b1/empty"))).length).toBe(0);
    // listing order is the store's business (moto answers in insertion order)
    expect((await store.listObjects(BUCKET, "backups/b1/")).sort()).toEqual(["backups/b1/empty", "backups/b1/velero-backup.json"]);
    expect((await store.listCommonPrefixes(BUCKET, "backups/", "/")).sort()).toEqual(["backups/b1/", "backups/b2/"]);
    expect(await store.objectExists(BUCKET, "backups/b2/velero-backup.json")).toBe(true);
    expect(await store.objectExists(BUCKET, "backups/nope")).toBe(false);

    const url = await store.createSignedUrl(BUCKET, "backups/b1/velero-backup.json", 10 * 60 * 1000);
    expect(new URL(url).hostname).toBe("127.0.0.1");
    expect(url).toMatch(/X-Amz-Expires=600/);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('{"kind":"Backup"}');

    await store.deleteObject(BUCKET, "backups/b2/velero-backup.json");
    expect(await store.objectExists(BUCKET, "backups/b2/velero-backup.json")).toBe(false);
    expect(await store.listCommonPrefixes(BUCKET, "backups/", "/")).toEqual(["backups/b1/"]);
  });

  it("streams a multi-chunk object both ways", async () => {
    const body = Buffer.concat([...generateBytes(3 * 1024 * 1024 + 5)]);
    await store.putObject(BUCKET, "big/object", Readable.from([body]));
    const back = await readAll(await store.getObject(BUCKET, "big/object"));
    expect(back.equals(body)).toBe(true);
  });

  it("maps a missing object to an error naming it", async () => {
    await expect(store.getObject(BUCKET, "backups/missing")).rejects.toThrow(/NoSuchKey|not found|does not exist/i);
  });

  it("forwards the Go plugin's stderr log lines into the host log", () => {
    expect(records.some((r) => r.fields["cmd"] === join(pluginDir, "velero-plugin-for-aws") && r.message !== undefined)).toBe(true);
  });
});
