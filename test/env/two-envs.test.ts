// Two environments run side by side without colliding (migration tests need two clusters): a second
// one is started next to the run's shared environment, checked, and stopped by pid.
import { mkdtempSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEndpoints, type Endpoints } from '../helpers/endpoints.ts';
import { down, procAlive, startWatchdog, up } from '../peers/env.ts';
import { apiGet } from './support.ts';

const ports = (e: Endpoints): number[] =>
  [e.apiServer, e.etcd.endpoint, e.s3.endpoint, e.gcs.endpoint, e.azure.blobEndpoint].map((u) => Number(new URL(u).port));

let second: string | undefined;

afterAll(async () => {
  if (second) {
    await down(second, { log: () => undefined });
    rmSync(second, { recursive: true, force: true });
  }
});

describe('a second environment', () => {
  it('comes up beside the first on different ports and sockets, and goes down by pid', async () => {
    const first = loadEndpoints();
    second = mkdtempSync('/tmp/vt.');
    const ep2 = await up(second, { log: () => undefined });
    const watchdog = startWatchdog(second);

    expect(ep2.dir).not.toBe(first.dir);
    for (const p of ports(ep2)) expect(ports(first)).not.toContain(p);
    expect(ep2.csi.socket).not.toBe(first.csi.socket);
    expect(ep2.kubernetes.token).not.toBe(first.kubernetes.token);

    // both answer, each with its own CA and token
    expect((await apiGet(first, '/readyz')).body.trim()).toBe('ok');
    expect((await apiGet(ep2, '/readyz')).body.trim()).toBe('ok');

    const procs = Object.values(ep2.procs);
    expect(procs.length).toBeGreaterThanOrEqual(12);
    await down(second, { log: () => undefined });
    for (const p of procs) expect(procAlive(p)).toBe(false);
    expect(procAlive(watchdog)).toBe(false);
    // the first environment is untouched
    for (const p of Object.values(first.procs)) expect(procAlive(p)).toBe(true);
    expect((await apiGet(first, '/readyz')).body.trim()).toBe('ok');
  }, 240_000);
});
