// Shared setup for the velero.io/aws suites: builds the real plugin executable, runs it through
// the host's plugin manager (discovery from a --plugin-dir, spawned process, gRPC), and gives
// direct moto clients for arranging and checking state. Everything talks to 127.0.0.1 only.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateVolumeCommand, EC2Client } from "@aws-sdk/client-ec2";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import { buildSeaExecutable, ROOT } from "../../../scripts/build-plugins.ts";
import { DefaultPluginManager } from "../../../host/src/plugins/default-manager.ts";
import { discoverPlugins } from "../../../host/src/plugins/registry.ts";
import { loadEndpoints, type Endpoints } from "../../helpers/endpoints.ts";
import { captureLogger, type LogRecord } from "../../helpers/capture-logger.ts";

export { captureLogger, type LogRecord };

export const AWS_PLUGIN = join(ROOT, "dist", "plugins", "velero-plugin-aws");

/** Builds (or reuses, when unchanged) dist/plugins/velero-plugin-aws from plugins/aws/src/main.ts. */
export async function buildAwsPlugin(): Promise<string> {
  await buildSeaExecutable(
    { name: "velero-plugin-aws", entry: join(ROOT, "plugins", "aws", "src", "main.ts"), output: AWS_PLUGIN },
    { log: () => {} },
  );
  return AWS_PLUGIN;
}

export interface AwsPluginHost {
  manager: DefaultPluginManager;
  logger: ReturnType<typeof captureLogger>;
  /** The credentials file the plugin reads (AWS_SHARED_CREDENTIALS_FILE, like Velero's mounted secret). */
  credentialsFile: string;
  /** Pid of the (single) plugin process this host started. */
  pluginPid(): number;
  close(): Promise<void>;
}

/**
 * A host plugin manager whose --plugin-dir holds the aws plugin. The plugin process gets moto's
 * credentials through AWS_SHARED_CREDENTIALS_FILE and moto's EC2 endpoint through
 * AWS_ENDPOINT_URL_EC2, exactly as a Velero deployment passes them (env of the server process).
 */
export async function startAwsPluginHost(options: { env?: Record<string, string>; logLevel?: string } = {}): Promise<AwsPluginHost> {
  const endpoints = loadEndpoints();
  const binary = await buildAwsPlugin();
  const dir = await mkdtemp(join(tmpdir(), "vt-aws-"));
  const pluginDir = join(dir, "plugins");
  await mkdir(pluginDir);
  await symlink(binary, join(pluginDir, "velero-plugin-aws"));
  const credentialsFile = join(dir, "cloud");
  await writeFile(
    credentialsFile,
    `[default]\naws_access_key_id = ${endpoints.s3.accessKeyId}\naws_secret_access_key = ${endpoints.s3.secretAccessKey}\n`,
    { mode: 0o600 },
  );
  const env = {
    AWS_SHARED_CREDENTIALS_FILE: credentialsFile,
    AWS_ENDPOINT_URL_EC2: endpoints.ec2.endpoint,
    ...options.env,
  };
  const logger = captureLogger();
  const args = [`--log-level=${options.logLevel ?? "debug"}`];
  const registry = await discoverPlugins({ pluginDir, args, logger, env });
  const problems = registry.problems();
  if (problems.length > 0) throw new Error(`aws plugin was not registered: ${JSON.stringify(problems)}`);
  const manager = new DefaultPluginManager({ registry, logger, env });
  return {
    manager,
    logger,
    credentialsFile,
    pluginPid() {
      const pids = manager.processes().map((p) => p.pid).filter((pid): pid is number => pid !== undefined);
      if (pids.length !== 1) throw new Error(`expected one aws plugin process, found pids ${JSON.stringify(pids)}`);
      return pids[0] as number;
    },
    close: async () => {
      await manager.close();
      // the credentials file goes with it
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** moto clients for arranging and checking state outside the plugin. */
export function motoClients(endpoints: Endpoints = loadEndpoints()): { s3: S3Client; ec2: EC2Client } {
  const credentials = { accessKeyId: endpoints.s3.accessKeyId, secretAccessKey: endpoints.s3.secretAccessKey };
  return {
    s3: new S3Client({
      region: endpoints.s3.region,
      endpoint: endpoints.s3.endpoint,
      forcePathStyle: true,
      credentials,
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    }),
    ec2: new EC2Client({
      region: endpoints.ec2.region,
      endpoint: endpoints.ec2.endpoint,
      credentials: { accessKeyId: endpoints.ec2.accessKeyId, secretAccessKey: endpoints.ec2.secretAccessKey },
    }),
  };
}

/** Creates a uniquely named bucket (optionally in another region) and returns its name. */
export async function createBucket(s3: S3Client, region?: string): Promise<string> {
  const bucket = `vt-aws-${randomUUID().slice(0, 12)}`;
  await s3.send(
    new CreateBucketCommand({
      Bucket: bucket,
      ...(region && region !== "us-east-1" ? { CreateBucketConfiguration: { LocationConstraint: region as never } } : {}),
    }),
  );
  return bucket;
}

/** The BSL config a user of an S3-compatible store writes (plus the bucket the host adds). */
export function bslConfig(bucket: string, extra: Record<string, string> = {}, endpoints: Endpoints = loadEndpoints()): Record<string, string> {
  return { bucket, region: endpoints.s3.region, s3Url: endpoints.s3.endpoint, s3ForcePathStyle: "true", ...extra };
}

/** Peak resident set size (VmHWM) of a process, in bytes. */
export function peakRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  if (!match?.[1]) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** A 1 GiB EBS volume in moto's EC2 (io1 with 700 IOPS), optionally tagged; its ID. */
export async function createEbsVolume(ec2: EC2Client, zone: string, type: "gp3" | "io1", tags: Record<string, string> = {}): Promise<string> {
  const created = await ec2.send(
    new CreateVolumeCommand({
      AvailabilityZone: zone,
      Size: 1,
      VolumeType: type,
      ...(type === "io1" ? { Iops: 700 } : {}),
      ...(Object.keys(tags).length > 0 ? { TagSpecifications: [{ ResourceType: "volume", Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }] } : {}),
    }),
  );
  if (!created.VolumeId) throw new Error("moto returned no volume ID");
  return created.VolumeId;
}

/** A PersistentVolume with the given spec (and labels). */
export function persistentVolume(name: string, spec: Record<string, unknown>, labels?: Record<string, string>): UnstructuredItem {
  return { apiVersion: "v1", kind: "PersistentVolume", metadata: { name, ...(labels ? { labels } : {}) }, spec };
}
