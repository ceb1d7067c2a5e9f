// pods/exec through the real path: kubectl → kube-apiserver → the node's InternalIP:kubelet port (127.0.0.1,
// kwok's server, TLS) → kwok's ClusterExec (DIR/kwok-exec.yaml, target local). kwok runs the command AS A
// PROCESS ON THIS HOST with cwd DIR/exec; there is no container. What this proves: the streaming exec
// protocol round trip works on this loopback-only cluster, stdout comes back, and a non-zero exit is an error.
// It does not prove anything about running inside a container image.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPeers } from '../peers/env.ts';
import { loadEndpoints, type Endpoints } from '../helpers/endpoints.ts';
import { eventually, kubeConfigFor, uniqueName } from './support.ts';

let ep: Endpoints;
let core: CoreV1Api;
let ns: string;
let kubectlBin: string;

function kubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(kubectlBin, [`--kubeconfig=${ep.kubeconfig}`, ...args], { timeout: 30_000, env: { ...process.env, HOME: join(ep.dir, 'home') } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  ep = loadEndpoints();
  if (!ep.exec) throw new Error(`${ep.dir}/endpoints.json has no "exec" section: the environment predates the kwok ClusterExec config; start a new one`);
  kubectlBin = loadPeers().bin.kubectl;
  core = kubeConfigFor(ep).makeApiClient(CoreV1Api);
  ns = uniqueName('exec');
  await core.createNamespace({ body: { metadata: { name: ns } } });
  await core.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'main', image: 'busybox' }, { name: 'side', image: 'busybox' }] } } });
  await eventually('pod p Running', 60_000, async () => (await core.readNamespacedPod({ namespace: ns, name: 'p' })).status?.phase === 'Running');
});

afterAll(async () => {
  await core?.deleteNamespace({ name: ns }).catch(() => undefined);
  if (ep?.exec) rmSync(join(ep.exec.workDir, ns), { recursive: true, force: true });
});

describe('pods/exec (kwok ClusterExec, local host process)', () => {
  it('the config and work dir exist and kwok was started with the config', () => {
    expect(existsSync(ep.exec.config)).toBe(true);
    expect(readFileSync(ep.exec.config, 'utf8')).toMatch(/kind: ClusterExec/);
    expect(readFileSync(join(ep.dir, 'logs', 'kwok.log'), 'utf8').split('\n')[0]).toContain(`--config=${ep.exec.config}`);
  });

  it("kubectl exec of sh -c 'echo hi > marker' creates the file in the env's exec dir on the host", async () => {
    const rel = `${ns}/marker`;
    const r = await kubectl(['exec', '-n', ns, 'p', '-c', 'main', '--', 'sh', '-c', `mkdir -p ${ns} && echo hi > ${rel} && pwd && echo "$VT_EXEC_DIR"`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([ep.exec.workDir, ep.exec.workDir]);
    expect(readFileSync(join(ep.exec.workDir, rel), 'utf8')).toBe('hi\n');
  });

  it('every container of every pod is served (second container), and a non-zero exit fails the exec', async () => {
    const ok = await kubectl(['exec', '-n', ns, 'p', '-c', 'side', '--', 'sh', '-c', 'echo from-side; echo err >&2']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('from-side\n');
    expect(ok.stderr).toBe('err\n');
    const bad = await kubectl(['exec', '-n', ns, 'p', '-c', 'main', '--', 'sh', '-c', 'exit 3']);
    expect(bad.code).not.toBe(0);
    // kwok reports the exit as an internal error text, not as an ExitCode status cause
    expect(bad.stderr).toMatch(/exit status 3/);
  });
});

describe('pods/log (kwok ClusterLogs: every container logs the lines of DIR/exec/container.log)', () => {
  it("kubectl logs of each container answers the file's lines", async () => {
    const expected = readFileSync(ep.exec.containerLog, 'utf8').split('\n').filter((l) => l !== '').map((l) => l.split(' ').slice(3).join(' '));
    expect(expected.length).toBeGreaterThan(0);
    for (const container of ['main', 'side']) {
      const r = await kubectl(['logs', '-n', ns, 'p', '-c', container]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout.trimEnd().split('\n')).toEqual(expected);
    }
    const missing = await kubectl(['logs', '-n', ns, 'no-such-pod']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('pods "no-such-pod" not found');
  });
});
