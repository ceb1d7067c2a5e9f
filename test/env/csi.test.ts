// The CSI stack works without a kubelet: a PVC binds through the hostpath driver (Immediate binding),
// a VolumeSnapshot of it becomes readyToUse, and a PVC restored from the snapshot carries the same file
// content in the driver's data dir (DIR/csi-data/<volumeHandle>/).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, StorageV1Api, type V1PersistentVolumeClaim, type V1TypedLocalObjectReference } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEndpoints, type Endpoints } from '../helpers/endpoints.ts';
import { eventually, kubeConfigFor, uniqueName } from './support.ts';

let ep: Endpoints;
let core: CoreV1Api;
let custom: CustomObjectsApi;
let namespace: string;

const SNAP = { group: 'snapshot.storage.k8s.io', version: 'v1' };

beforeAll(async () => {
  ep = loadEndpoints();
  const kc = kubeConfigFor(ep);
  core = kc.makeApiClient(CoreV1Api);
  custom = kc.makeApiClient(CustomObjectsApi);
  namespace = uniqueName('vt-csi');
  await core.createNamespace({ body: { metadata: { name: namespace } } });
});

afterAll(async () => {
  if (namespace) await core.deleteNamespace({ name: namespace }).catch(() => undefined);
});

function pvc(name: string, dataSource?: V1TypedLocalObjectReference): V1PersistentVolumeClaim {
  return {
    metadata: { name },
    spec: {
      storageClassName: ep.csi.storageClass,
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '1Gi' } },
      ...(dataSource ? { dataSource } : {}),
    },
  };
}

async function boundVolumeHandle(name: string): Promise<string> {
  const claim = await eventually(`PVC ${name} Bound`, 60_000, async () => {
    const c = await core.readNamespacedPersistentVolumeClaim({ namespace, name });
    return c.status?.phase === 'Bound' ? c : undefined;
  });
  const pv = await core.readPersistentVolume({ name: claim.spec?.volumeName ?? '' });
  expect(pv.spec?.csi?.driver).toBe(ep.csi.driver);
  const handle = pv.spec?.csi?.volumeHandle;
  expect(handle).toBeTruthy();
  return handle as string;
}

describe('CSI hostpath stack', () => {
  it('has the CSIDriver, StorageClass (Immediate) and labelled VolumeSnapshotClass', async () => {
    const storage = kubeConfigFor(ep).makeApiClient(StorageV1Api);
    const sc = await storage.readStorageClass({ name: ep.csi.storageClass });
    expect(sc.provisioner).toBe(ep.csi.driver);
    expect(sc.volumeBindingMode).toBe('Immediate');
    await storage.readCSIDriver({ name: ep.csi.driver });
    const vsc = (await custom.getClusterCustomObject({ ...SNAP, plural: 'volumesnapshotclasses', name: ep.csi.volumeSnapshotClass })) as {
      driver: string;
      metadata: { labels?: Record<string, string> };
    };
    expect(vsc.driver).toBe(ep.csi.driver);
    expect(vsc.metadata.labels?.['velero.io/csi-volumesnapshot-class']).toBe('true');
  });

  it('binds a PVC, snapshots it and restores a PVC with the same content', async () => {
    // 1. a PVC binds (external-provisioner -> CreateVolume)
    await core.createNamespacedPersistentVolumeClaim({ namespace, body: pvc('source') });
    const srcHandle = await boundVolumeHandle('source');
    const srcDir = join(ep.csi.dataDir, srcHandle);
    expect(existsSync(srcDir)).toBe(true);

    // no kubelet writes into volumes: put the data there the way a pod would see it
    const payload = `velero-ts ${uniqueName('payload')}\n`;
    writeFileSync(join(srcDir, 'hello.txt'), payload);
    mkdirSync(join(srcDir, 'sub'), { recursive: true });
    writeFileSync(join(srcDir, 'sub', 'nested.bin'), Buffer.from([0, 1, 2, 3, 255]));

    // 2. a VolumeSnapshot becomes readyToUse (snapshot-controller + csi-snapshotter -> CreateSnapshot)
    await custom.createNamespacedCustomObject({
      ...SNAP, namespace, plural: 'volumesnapshots',
      body: {
        apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshot', metadata: { name: 'snap' },
        spec: { volumeSnapshotClassName: ep.csi.volumeSnapshotClass, source: { persistentVolumeClaimName: 'source' } },
      },
    });
    const snap = await eventually('VolumeSnapshot readyToUse', 60_000, async () => {
      const s = (await custom.getNamespacedCustomObject({ ...SNAP, namespace, plural: 'volumesnapshots', name: 'snap' })) as {
        status?: { readyToUse?: boolean; boundVolumeSnapshotContentName?: string; restoreSize?: string };
      };
      return s.status?.readyToUse ? s : undefined;
    });
    expect(snap.status?.restoreSize).toBe('1Gi');
    const content = (await custom.getClusterCustomObject({
      ...SNAP, plural: 'volumesnapshotcontents', name: snap.status?.boundVolumeSnapshotContentName ?? '',
    })) as { spec: { driver: string }; status?: { snapshotHandle?: string } };
    expect(content.spec.driver).toBe(ep.csi.driver);
    expect(content.status?.snapshotHandle).toBeTruthy();

    // the snapshot is a point-in-time copy: later writes to the source must not show up in the restore
    writeFileSync(join(srcDir, 'hello.txt'), 'changed after the snapshot\n');

    // 3. a PVC restores from the snapshot (CreateVolume with a snapshot content source)
    await core.createNamespacedPersistentVolumeClaim({
      namespace,
      body: pvc('restored', { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'snap' }),
    });
    const dstHandle = await boundVolumeHandle('restored');
    expect(dstHandle).not.toBe(srcHandle);
    const dstDir = join(ep.csi.dataDir, dstHandle);
    expect(readFileSync(join(dstDir, 'hello.txt'), 'utf8')).toBe(payload);
    expect([...readFileSync(join(dstDir, 'sub', 'nested.bin'))]).toEqual([0, 1, 2, 3, 255]);

    // 4. deleting a PVC deletes its volume (reclaimPolicy Delete -> DeleteVolume)
    await core.deleteNamespacedPersistentVolumeClaim({ namespace, name: 'restored' });
    await eventually('restored volume dir removed', 60_000, async () => !existsSync(dstDir));

    // 5. deleting the VolumeSnapshot deletes the snapshot (deletionPolicy Delete -> DeleteSnapshot)
    const snapTar = join(ep.csi.dataDir, '.vt', 'snapshots', `${content.status?.snapshotHandle}.tar`);
    expect(existsSync(snapTar)).toBe(true);
    await custom.deleteNamespacedCustomObject({ ...SNAP, namespace, plural: 'volumesnapshots', name: 'snap' });
    await eventually('snapshot data removed', 60_000, async () => !existsSync(snapTar));
  }, 180_000);
});
