// The local cluster behaves like a real one for what velero-ts needs: a ready apiserver with both
// authentication methods, namespace finalisation, Deployments -> ReplicaSets -> Running pods (kwok),
// Jobs completing, CRDs that install and serve.
import { AppsV1Api, BatchV1Api, CoreV1Api, CustomObjectsApi, ApiextensionsV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEndpoints, type Endpoints } from '../helpers/endpoints.ts';
import { apiGet, eventually, isNotFound, kubeConfigFor, uniqueName } from './support.ts';

let ep: Endpoints;
let core: CoreV1Api;
let apps: AppsV1Api;
let batch: BatchV1Api;
const namespaces: string[] = [];

beforeAll(() => {
  ep = loadEndpoints();
  const kc = kubeConfigFor(ep);
  core = kc.makeApiClient(CoreV1Api);
  apps = kc.makeApiClient(AppsV1Api);
  batch = kc.makeApiClient(BatchV1Api);
});

afterAll(async () => {
  for (const name of namespaces) await core.deleteNamespace({ name }).catch(() => undefined);
});

async function newNamespace(prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  await core.createNamespace({ body: { metadata: { name } } });
  namespaces.push(name);
  return name;
}

describe('kube-apiserver', () => {
  it('answers /readyz with ok (static bearer token, environment CA)', async () => {
    const r = await apiGet(ep, '/readyz');
    expect(r.status).toBe(200);
    expect(r.body.trim()).toBe('ok');
    expect(new URL(ep.apiServer).hostname).toBe('127.0.0.1');
  });

  it('reports the stamped release version', async () => {
    const r = await apiGet(ep, '/version');
    const v = JSON.parse(r.body) as { gitVersion: string; major: string; minor: string };
    expect(v.gitVersion).toMatch(/^v1\.36\.\d+$/);
    expect(v.major).toBe('1');
    expect(v.minor).toBe('36');
    expect(ep.kubernetes.version).toBe(v.gitVersion);
  });

  it('accepts the kubeconfig client certificate (system:masters)', async () => {
    const list = await core.listNamespace();
    expect(list.items.map((n) => n.metadata?.name)).toContain('kube-system');
  });
});

describe('namespaces', () => {
  it('are created and finalised on delete (gone within 30 s)', async () => {
    const name = uniqueName('vt-ns');
    await core.createNamespace({ body: { metadata: { name } } });
    await core.createNamespacedConfigMap({ namespace: name, body: { metadata: { name: 'content' }, data: { a: 'b' } } });
    const ns = await core.readNamespace({ name });
    expect(ns.status?.phase).toBe('Active');
    // the controller-manager creates the default ServiceAccount in every namespace
    await eventually('default ServiceAccount', 20_000, async () => (await core.readNamespacedServiceAccount({ namespace: name, name: 'default' })).metadata?.name);

    const t0 = Date.now();
    await core.deleteNamespace({ name });
    await eventually('namespace deletion', 30_000, async () => {
      try {
        await core.readNamespace({ name });
        return false;
      } catch (e) {
        return isNotFound(e);
      }
    });
    expect(Date.now() - t0).toBeLessThan(30_000);
  }, 45_000);
});

describe('workloads (kwok)', () => {
  it('node kwok-node-0 is Ready', async () => {
    const node = await core.readNode({ name: ep.kubernetes.nodeName });
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('a 3-replica Deployment reaches 3 Running pods', async () => {
    const namespace = await newNamespace('vt-deploy');
    const labels = { app: 'vt-web' };
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 3,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            // never pulled: kwok runs no containers
            spec: { containers: [{ name: 'web', image: 'registry.invalid/vt/web:1' }] },
          },
        },
      },
    });
    const pods = await eventually('3 Running pods', 60_000, async () => {
      const list = await core.listNamespacedPod({ namespace, labelSelector: 'app=vt-web' });
      const running = list.items.filter((p) => p.status?.phase === 'Running' && p.spec?.nodeName === ep.kubernetes.nodeName);
      return running.length === 3 ? running : undefined;
    });
    expect(pods).toHaveLength(3);
    const rs = await apps.listNamespacedReplicaSet({ namespace });
    expect(rs.items).toHaveLength(1);
    const dep = await eventually('Deployment readyReplicas=3', 30_000, async () => {
      const d = await apps.readNamespacedDeployment({ namespace, name: 'web' });
      return d.status?.readyReplicas === 3 ? d : undefined;
    });
    expect(dep.status?.availableReplicas).toBe(3);
  }, 90_000);

  it('a Job completes', async () => {
    const namespace = await newNamespace('vt-job');
    await batch.createNamespacedJob({
      namespace,
      body: {
        metadata: { name: 'once' },
        spec: {
          backoffLimit: 0,
          template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'registry.invalid/vt/job:1' }] } },
        },
      },
    });
    const job = await eventually('Job succeeded', 60_000, async () => {
      const j = await batch.readNamespacedJob({ namespace, name: 'once' });
      return (j.status?.succeeded ?? 0) >= 1 ? j : undefined;
    });
    expect(job.status?.succeeded).toBe(1);
  }, 90_000);
});

describe('CustomResourceDefinitions', () => {
  it('install and serve custom objects', async () => {
    const kc = kubeConfigFor(ep);
    const ext = kc.makeApiClient(ApiextensionsV1Api);
    const custom = kc.makeApiClient(CustomObjectsApi);
    const group = 'selftest.velero-ts.invalid';
    const plural = `widgets${uniqueName('x').slice(2)}`;
    const name = `${plural}.${group}`;
    await ext.createCustomResourceDefinition({
      body: {
        metadata: { name },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural, singular: plural.slice(0, -1), kind: `Widget${plural.slice(-8)}`, listKind: `Widget${plural.slice(-8)}List` },
          versions: [{
            name: 'v1', served: true, storage: true,
            schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } },
          }],
        },
      },
    });
    try {
      await eventually('CRD Established', 20_000, async () => {
        const crd = await ext.readCustomResourceDefinition({ name });
        return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
      });
      const namespace = await newNamespace('vt-crd');
      const body = { apiVersion: `${group}/v1`, kind: `Widget${plural.slice(-8)}`, metadata: { name: 'w1' }, spec: { size: 3 } };
      await eventually('custom object created', 20_000, async () => {
        await custom.createNamespacedCustomObject({ group, version: 'v1', namespace, plural, body });
        return true;
      });
      const got = (await custom.getNamespacedCustomObject({ group, version: 'v1', namespace, plural, name: 'w1' })) as { spec: { size: number } };
      expect(got.spec.size).toBe(3);
      const list = (await custom.listNamespacedCustomObject({ group, version: 'v1', namespace, plural })) as { items: unknown[] };
      expect(list.items).toHaveLength(1);
    } finally {
      await ext.deleteCustomResourceDefinition({ name }).catch(() => undefined);
    }
  }, 60_000);
});
