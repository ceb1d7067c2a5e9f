// The cloud emulators answer the calls velero-ts makes: S3 and EC2 (EBS) on moto, GCS on
// fake-gcs-server, Azure Blob on Azurite. All endpoints are on 127.0.0.1.
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSnapshotCommand, CreateVolumeCommand, DescribeSnapshotsCommand, DescribeVolumesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { BlobServiceClient } from '@azure/storage-blob';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadEndpoints, type Endpoints } from '../helpers/endpoints.ts';
import { uniqueName } from './support.ts';

let ep: Endpoints;

beforeAll(() => {
  ep = loadEndpoints();
  for (const url of [ep.s3.endpoint, ep.ec2.endpoint, ep.gcs.endpoint, ep.azure.blobEndpoint]) {
    expect(new URL(url).hostname).toBe('127.0.0.1');
  }
});

describe('S3 on moto', () => {
  it('creates a bucket, puts, gets and lists objects', async () => {
    const s3 = new S3Client({
      endpoint: ep.s3.endpoint,
      region: ep.s3.region,
      credentials: { accessKeyId: ep.s3.accessKeyId, secretAccessKey: ep.s3.secretAccessKey },
      forcePathStyle: ep.s3.forcePathStyle,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const Bucket = uniqueName('vt-bucket');
    await s3.send(new CreateBucketCommand({ Bucket }));
    const body = `backup contents ${Bucket}`;
    await s3.send(new PutObjectCommand({ Bucket, Key: 'backups/b1/velero-backup.json', Body: body, ContentType: 'application/json' }));
    await s3.send(new PutObjectCommand({ Bucket, Key: 'backups/b2/velero-backup.json', Body: '{}' }));
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'backups/b1/velero-backup.json' }));
    expect(await got.Body?.transformToString()).toBe(body);
    const list = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'backups/', Delimiter: '/' }));
    expect(list.CommonPrefixes?.map((p) => p.Prefix).sort()).toEqual(['backups/b1/', 'backups/b2/']);
    s3.destroy();
  });
});

describe('EC2 (EBS) on moto', () => {
  it('creates a volume, snapshots it, describes the snapshot and creates a volume from it', async () => {
    const ec2 = new EC2Client({
      endpoint: ep.ec2.endpoint,
      region: ep.ec2.region,
      credentials: { accessKeyId: ep.ec2.accessKeyId, secretAccessKey: ep.ec2.secretAccessKey },
    });
    const AvailabilityZone = `${ep.ec2.region}a`;
    const vol = await ec2.send(new CreateVolumeCommand({ AvailabilityZone, Size: 8, VolumeType: 'gp3' }));
    expect(vol.VolumeId).toMatch(/^vol-/);
    const snap = await ec2.send(new CreateSnapshotCommand({
      VolumeId: vol.VolumeId,
      Description: 'velero-ts self-test',
      TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'velero.io/backup', Value: 'selftest' }] }],
    }));
    expect(snap.SnapshotId).toMatch(/^snap-/);
    const described = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snap.SnapshotId ?? ''] }));
    expect(described.Snapshots).toHaveLength(1);
    expect(described.Snapshots?.[0]?.VolumeId).toBe(vol.VolumeId);
    expect(described.Snapshots?.[0]?.Tags).toContainEqual({ Key: 'velero.io/backup', Value: 'selftest' });
    const restored = await ec2.send(new CreateVolumeCommand({ AvailabilityZone, SnapshotId: snap.SnapshotId, VolumeType: 'gp3' }));
    expect(restored.VolumeId).toMatch(/^vol-/);
    expect(restored.VolumeId).not.toBe(vol.VolumeId);
    const dv = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [restored.VolumeId ?? ''] }));
    expect(dv.Volumes?.[0]?.SnapshotId).toBe(snap.SnapshotId);
    expect(dv.Volumes?.[0]?.Size).toBe(8);
    ec2.destroy();
  });
});

describe('GCS on fake-gcs-server', () => {
  it('creates a bucket, uploads and downloads an object (JSON API)', async () => {
    const bucket = uniqueName('vt-gcs');
    const mk = await fetch(`${ep.gcs.endpoint}/storage/v1/b?project=${ep.gcs.projectId}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: bucket }),
    });
    expect(mk.status).toBe(200);
    const name = 'backups/b1/velero-backup.json';
    const payload = `{"bucket":"${bucket}"}`;
    const up = await fetch(`${ep.gcs.endpoint}/upload/storage/v1/b/${bucket}/o?uploadType=media&name=${encodeURIComponent(name)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: payload,
    });
    expect(up.status).toBe(200);
    const meta = (await up.json()) as { name: string; size: string };
    expect(meta.name).toBe(name);
    expect(Number(meta.size)).toBe(payload.length);
    const down = await fetch(`${ep.gcs.endpoint}/storage/v1/b/${bucket}/o/${encodeURIComponent(name)}?alt=media`);
    expect(down.status).toBe(200);
    expect(await down.text()).toBe(payload);
    const list = (await (await fetch(`${ep.gcs.endpoint}/storage/v1/b/${bucket}/o?prefix=backups/`)).json()) as { items: Array<{ name: string }> };
    expect(list.items.map((i) => i.name)).toEqual([name]);
  });
});

describe('Azure Blob on Azurite', () => {
  it('creates a container, uploads, downloads and lists a blob', async () => {
    const svc = BlobServiceClient.fromConnectionString(ep.azure.connectionString);
    const container = svc.getContainerClient(uniqueName('vt-az'));
    await container.create();
    const payload = `azure ${container.containerName}`;
    const blob = container.getBlockBlobClient('backups/b1/velero-backup.json');
    await blob.upload(payload, Buffer.byteLength(payload));
    const buf = await blob.downloadToBuffer();
    expect(buf.toString('utf8')).toBe(payload);
    const names: string[] = [];
    for await (const b of container.listBlobsFlat({ prefix: 'backups/' })) names.push(b.name);
    expect(names).toEqual(['backups/b1/velero-backup.json']);
  });
});
