// Brings a real local test environment up and down: etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler, kwok (one Ready node), a CSI stack (our hostpath driver + external-provisioner +
// csi-snapshotter + snapshot-controller), moto (S3 + EC2), fake-gcs-server and Azurite (blob).
// Everything listens on 127.0.0.1 on free ports; unix sockets, data and logs live under DIR.
//
//   node test/peers/env.ts up   --dir DIR      (npm run env -- up --dir DIR)
//   node test/peers/env.ts down --dir DIR [--rm]
//   node test/peers/env.ts status --dir DIR
//
// The binaries come from scripts/peers-install.sh, which writes $PEERS_HOME/peers.json.
// `down` stops exactly the pids recorded in DIR/pids.json (checked against their start time), never by name.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Endpoints, ProcRecord } from '../helpers/endpoints.ts';

export type { Endpoints, ProcRecord };

// ----------------------------------------------------------------------------------------------------
// peers manifest

export interface Peers {
  schema: 1;
  peersHome: string;
  versions: Record<string, string>;
  bin: {
    etcd: string;
    etcdctl: string;
    kubeApiserver: string;
    kubeControllerManager: string;
    kubeScheduler: string;
    kubectl: string;
    kwok: string;
    csiProvisioner: string;
    csiSnapshotter: string;
    snapshotController: string;
    csiHostpath: string;
    fakeGcsServer: string;
    motoServer: string;
    azuriteBlob: string;
    restic: string;
    openssl: string;
  };
  data: { kwokStages: string; snapshotCrds: string };
}

export function peersManifestPath(): string {
  if (process.env.VT_PEERS_JSON) return process.env.VT_PEERS_JSON;
  const home = process.env.PEERS_HOME || '/var/cache/velero-ts-peers';
  return path.join(home, 'peers.json');
}

export function loadPeers(): Peers {
  const file = peersManifestPath();
  let peers: Peers;
  try {
    peers = JSON.parse(fs.readFileSync(file, 'utf8')) as Peers;
  } catch (e) {
    throw new Error(`test peers are not installed (${file}: ${(e as Error).message}); run: bash scripts/peers-install.sh`);
  }
  for (const [name, p] of Object.entries(peers.bin)) {
    if (name === 'restic') continue;
    if (!p || !fs.existsSync(p)) throw new Error(`peer ${name} missing at ${p}; run: bash scripts/peers-install.sh`);
  }
  return peers;
}

// ----------------------------------------------------------------------------------------------------
// constants

const CSI_DRIVER = 'hostpath.csi.k8s.io';
const STORAGE_CLASS = 'csi-hostpath-sc';
const SNAPSHOT_CLASS = 'csi-hostpath-snapclass';
const NODE_NAME = 'kwok-node-0';
const AWS = { region: 'us-east-1', accessKeyId: 'vtaccesskey', secretAccessKey: 'vtsecretkey' };
// Azurite's well-known development account (public, documented by Microsoft)
const AZ_ACCOUNT = 'devstoreaccount1';
const AZ_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const SNAPSHOT_CRDS = [
  'snapshot.storage.k8s.io_volumesnapshotclasses.yaml',
  'snapshot.storage.k8s.io_volumesnapshotcontents.yaml',
  'snapshot.storage.k8s.io_volumesnapshots.yaml',
  'groupsnapshot.storage.k8s.io_volumegroupsnapshotclasses.yaml',
  'groupsnapshot.storage.k8s.io_volumegroupsnapshotcontents.yaml',
  'groupsnapshot.storage.k8s.io_volumegroupsnapshots.yaml',
];
const KWOK_STAGES = [
  'node/fast/node-initialize.yaml',
  'node/heartbeat-with-lease/node-heartbeat-with-lease.yaml',
  'pod/fast/pod-ready.yaml',
  'pod/fast/pod-complete.yaml',
  'pod/fast/pod-delete.yaml',
];

// ----------------------------------------------------------------------------------------------------
// small utilities

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env: opts.env, cwd: opts.cwd, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${path.basename(cmd)} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

const handedOut = new Set<number>();

/** Free TCP ports on 127.0.0.1: all are held open until every one is picked, then released. */
async function freePorts(n: number): Promise<number[]> {
  const servers: net.Server[] = [];
  const ports: number[] = [];
  try {
    while (ports.length < n) {
      const s = net.createServer();
      await new Promise<void>((res, rej) => {
        s.once('error', rej);
        s.listen(0, '127.0.0.1', () => res());
      });
      servers.push(s);
      const p = (s.address() as net.AddressInfo).port;
      if (!handedOut.has(p)) {
        handedOut.add(p);
        ports.push(p);
      }
    }
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
  return ports;
}

interface HttpResult {
  status: number;
  body: string;
}

function httpRequest(
  url: string,
  opts: { method?: string; ca?: Buffer; token?: string; insecure?: boolean; body?: string; contentType?: string; timeoutMs?: number } = {},
): Promise<HttpResult> {
  const u = new URL(url);
  if (u.hostname !== '127.0.0.1') throw new Error(`refusing to dial ${u.hostname}: only 127.0.0.1 is allowed`);
  const headers: Record<string, string> = {};
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) {
    headers['Content-Type'] = opts.contentType ?? 'application/json';
    headers['Content-Length'] = String(Buffer.byteLength(opts.body));
  }
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      url,
      {
        method: opts.method ?? 'GET',
        headers,
        agent: false,
        timeout: opts.timeoutMs ?? 3000,
        ...(u.protocol === 'https:' ? { ca: opts.ca, rejectUnauthorized: !opts.insecure } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout ${opts.method ?? 'GET'} ${url}`)));
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** Start time of a process in clock ticks since boot (/proc/<pid>/stat field 22), or undefined if gone. */
export function procStartTicks(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z' || rest[0] === 'X') return undefined; // exited, not yet reaped
    return Number(rest[19]);
  } catch {
    return undefined;
  }
}

/** True when the recorded process still runs (same pid and same start time). */
export function procAlive(p: ProcRecord): boolean {
  return procStartTicks(p.pid) === p.startTicks;
}

function rssKiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function tail(file: string, lines = 25): string {
  try {
    const text = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    return text.slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

// ----------------------------------------------------------------------------------------------------
// environment state while `up` runs

class EnvError extends Error {}

interface Ctx {
  dir: string;
  peers: Peers;
  procs: Record<string, ProcRecord>;
  children: Map<string, ChildProcess>;
  exited: Map<string, string>;
  childEnv: NodeJS.ProcessEnv;
  t0: number;
  timings: Record<string, number>;
  log: (msg: string) => void;
}

function pidsFile(dir: string): string {
  return path.join(dir, 'pids.json');
}

function savePids(ctx: Ctx): void {
  const tmp = pidsFile(ctx.dir) + '.tmp';
  fs.writeFileSync(tmp, JSON.stringify(ctx.procs, null, 2));
  fs.renameSync(tmp, pidsFile(ctx.dir));
}

function startProc(ctx: Ctx, name: string, cmd: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): ProcRecord {
  const log = path.join(ctx.dir, 'logs', `${name}.log`);
  const fd = fs.openSync(log, 'a');
  fs.writeSync(fd, `# ${new Date().toISOString()} ${cmd} ${args.join(' ')}\n`);
  let child: ChildProcess;
  try {
    child = spawn(cmd, args, {
      cwd: ctx.dir,
      detached: true, // own process group: a Ctrl-C aimed at the caller does not hit the peers; `down` stops them
      stdio: ['ignore', fd, fd],
      env: { ...ctx.childEnv, ...extraEnv },
    });
  } finally {
    fs.closeSync(fd);
  }
  child.on('error', (e) => ctx.exited.set(name, `spawn error: ${e.message}`));
  child.on('exit', (code, sig) => ctx.exited.set(name, sig ? `signal ${sig}` : `exit code ${code}`));
  child.unref();
  if (!child.pid) throw new EnvError(`could not start ${name} (${cmd})`);
  const startTicks = procStartTicks(child.pid);
  if (startTicks === undefined) throw new EnvError(`${name} exited immediately; log ${log}:\n${tail(log)}`);
  const rec: ProcRecord = { pid: child.pid, startTicks, log };
  ctx.procs[name] = rec;
  ctx.children.set(name, child);
  savePids(ctx);
  return rec;
}

async function waitFor(
  ctx: Ctx, name: string, what: string, timeoutMs: number, check: () => Promise<boolean> | boolean, intervalMs = 100, timingKey = name,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastErr = '';
  for (;;) {
    const gone = ctx.exited.get(name);
    if (gone !== undefined) {
      const log = ctx.procs[name]?.log ?? '';
      throw new EnvError(`${name} stopped (${gone}) while waiting for ${what}; log ${log}:\n${tail(log)}`);
    }
    try {
      if (await check()) {
        if (!(timingKey in ctx.timings)) ctx.timings[timingKey] = Date.now() - ctx.t0;
        ctx.log(`${name.padEnd(20)} ready after ${((Date.now() - ctx.t0) / 1000).toFixed(1)}s (${what})`);
        return;
      }
    } catch (e) {
      lastErr = (e as Error).message;
    }
    if (Date.now() > deadline) {
      const log = ctx.procs[name]?.log ?? '';
      throw new EnvError(`${name}: timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? ` (last error: ${lastErr})` : ''}; log ${log}:\n${tail(log)}`);
    }
    await sleep(intervalMs);
  }
}

function logContains(ctx: Ctx, name: string, needle: string): boolean {
  try {
    return fs.readFileSync(ctx.procs[name]?.log ?? '', 'utf8').includes(needle);
  } catch {
    return false;
  }
}

// ----------------------------------------------------------------------------------------------------
// PKI and kubeconfig

const OPENSSL_CNF = `[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
authorityKeyIdentifier = keyid
[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
`;

interface Pki {
  dir: string;
  ca: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  saKey: string;
  saPub: string;
  tokens: string;
  token: string;
}

async function makePki(ctx: Ctx): Promise<Pki> {
  const openssl = ctx.peers.bin.openssl || 'openssl';
  const d = path.join(ctx.dir, 'pki');
  await fsp.mkdir(d, { recursive: true });
  const cnf = path.join(d, 'openssl.cnf');
  await fsp.writeFile(cnf, OPENSSL_CNF);
  const p = (f: string) => path.join(d, f);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-noenc'];
  const env = { ...ctx.childEnv, OPENSSL_CONF: cnf };
  await run(openssl, ['req', '-x509', '-config', cnf, '-extensions', 'ca', ...ec, '-keyout', p('ca.key'), '-out', p('ca.crt'), '-subj', '/CN=velero-ts-test-ca', '-days', '3650'], { env });
  const leaf = (ext: string, name: string, subj: string) =>
    run(openssl, ['req', '-x509', '-config', cnf, '-extensions', ext, '-CA', p('ca.crt'), '-CAkey', p('ca.key'), ...ec,
      '-keyout', p(`${name}.key`), '-out', p(`${name}.crt`), '-subj', subj, '-days', '3650'], { env });
  await Promise.all([
    leaf('server', 'apiserver', '/CN=kube-apiserver'),
    leaf('client', 'admin', '/O=system:masters/CN=vt-admin'),
    run(openssl, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', p('sa.key')], { env }).then(() =>
      run(openssl, ['pkey', '-in', p('sa.key'), '-pubout', '-out', p('sa.pub')], { env }),
    ),
  ]);
  const token = `vt-${randomBytes(20).toString('hex')}`;
  await fsp.writeFile(p('tokens.csv'), `${token},vt-admin,vt-admin,"system:masters"\n`, { mode: 0o600 });
  return {
    dir: d, ca: p('ca.crt'), caKey: p('ca.key'), serverCert: p('apiserver.crt'), serverKey: p('apiserver.key'),
    adminCert: p('admin.crt'), adminKey: p('admin.key'), saKey: p('sa.key'), saPub: p('sa.pub'), tokens: p('tokens.csv'), token,
  };
}

/**
 * kwok's ClusterExec configuration (kwok.x-k8s.io/v1alpha1, schema: pkg/apis/v1alpha1/cluster_exec_types.go of
 * the kwok module): no selector = every pod, no container list = every container, target `local`. kwok then
 * answers `pods/exec` by running the command AS A PROCESS ON THIS HOST (as the user running kwok, with kwok's
 * environment plus VT_EXEC_DIR), with DIR/exec as its working directory. Nothing runs inside a container: there
 * are no containers. Tests must only let such commands touch files under DIR/exec or a temp dir.
 * And its ClusterLogs (cluster_logs_types.go): every container of every pod "logs" the lines of one file,
 * DIR/exec/container.log (written here, in CRI log format; `pods/log` serves its lines), since there is no
 * container to log anything.
 * Written into DIR at every `up` (generated, not committed).
 */
async function writeKwokExecConfig(dir: string): Promise<string> {
  const workDir = path.join(dir, 'exec');
  const file = path.join(dir, 'kwok-exec.yaml');
  const logsFile = path.join(workDir, 'container.log');
  // in the CRI log format kwok reads (a container runtime's log file): time, stream, tag, line
  await fsp.writeFile(logsFile, '2026-01-01T00:00:00.000000000Z stdout F time="2026-01-01T00:00:00Z" level=info msg="a container log line served by kwok (test environment)"\n');
  const yaml = `apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterExec
metadata:
  name: vt-local-exec
spec:
  execs:
  - local:
      workDir: ${JSON.stringify(workDir)}
      envs:
      - name: VT_EXEC_DIR
        value: ${JSON.stringify(workDir)}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata:
  name: vt-container-logs
spec:
  logs:
  - logsFile: ${JSON.stringify(logsFile)}
    follow: false
`;
  await fsp.writeFile(file, yaml);
  return file;
}

async function writeKubeconfig(file: string, server: string, pki: Pki): Promise<void> {
  const b64 = async (f: string) => (await fsp.readFile(f)).toString('base64');
  const [ca, cert, key] = await Promise.all([b64(pki.ca), b64(pki.adminCert), b64(pki.adminKey)]);
  const yaml = `apiVersion: v1
kind: Config
clusters:
- name: vt
  cluster:
    server: ${server}
    certificate-authority-data: ${ca}
users:
- name: vt-admin
  user:
    client-certificate-data: ${cert}
    client-key-data: ${key}
- name: vt-token
  user:
    token: ${pki.token}
contexts:
- name: vt
  context:
    cluster: vt
    user: vt-admin
- name: vt-token
  context:
    cluster: vt
    user: vt-token
current-context: vt
`;
  await fsp.writeFile(file, yaml, { mode: 0o600 });
}

// ----------------------------------------------------------------------------------------------------
// up

export interface UpOptions {
  /** progress lines (default: to stderr) */
  log?: (msg: string) => void;
  /** overall deadline for each readiness wait, ms (default 90 s) */
  timeoutMs?: number;
}

export async function up(dirArg: string, options: UpOptions = {}): Promise<Endpoints> {
  const dir = path.resolve(dirArg);
  const log = options.log ?? ((m: string) => process.stderr.write(`env: ${m}\n`));
  const timeout = options.timeoutMs ?? 90_000;
  const sock = path.join(dir, 'csi', 'csi.sock');
  if (Buffer.byteLength(sock) >= 100) {
    throw new Error(`--dir ${dir} is too long for a unix socket path (${sock}); use a short one such as $(mktemp -d /tmp/vt.XXXXXX)`);
  }
  if (fs.existsSync(pidsFile(dir))) {
    const old = JSON.parse(fs.readFileSync(pidsFile(dir), 'utf8')) as Record<string, ProcRecord>;
    if (Object.values(old).some(procAlive)) throw new Error(`an environment is already running in ${dir}; run down first`);
  }
  const peers = loadPeers();
  const home = path.join(dir, 'home');
  for (const d of ['logs', 'home', 'csi', 'csi-data', 'etcd', 'gcs', 'azurite', 'kcm', 'scheduler', 'apiserver', 'exec']) {
    await fsp.mkdir(path.join(dir, d), { recursive: true });
  }
  const childEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    TMPDIR: process.env.TMPDIR ?? '/tmp',
    LANG: 'C.UTF-8',
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: '127.0.0.1,localhost',
  };
  const ctx: Ctx = { dir, peers, procs: {}, children: new Map(), exited: new Map(), childEnv, t0: Date.now(), timings: {}, log };
  try {
    return await upInner(ctx, sock, timeout);
  } catch (e) {
    log(`up failed; stopping what was started. Logs kept in ${path.join(dir, 'logs')}`);
    await stopProcs(ctx.procs, log);
    throw e;
  }
}

async function upInner(ctx: Ctx, sock: string, timeout: number): Promise<Endpoints> {
  const { dir, peers } = ctx;
  const B = peers.bin;
  const [etcdPort, etcdPeerPort, apiPort, kcmPort, schedPort, kwokPort, motoPort, gcsPort, azPort] = (await freePorts(9)) as [number, number, number, number, number, number, number, number, number];
  const kubeconfig = path.join(dir, 'kubeconfig');
  const apiServer = `https://127.0.0.1:${apiPort}`;
  const csiData = path.join(dir, 'csi-data');

  // --- processes that need nothing else: etcd, emulators, CSI driver ---------------------------------
  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  startProc(ctx, 'etcd', B.etcd, [
    '--name=vt', `--data-dir=${path.join(dir, 'etcd')}`,
    `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
    `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`, `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
    `--initial-cluster=vt=http://127.0.0.1:${etcdPeerPort}`, '--unsafe-no-fsync', '--log-level=warn',
  ]);
  startProc(ctx, 'moto', B.motoServer, ['-H', '127.0.0.1', '-p', String(motoPort)], {
    AWS_ACCESS_KEY_ID: AWS.accessKeyId, AWS_SECRET_ACCESS_KEY: AWS.secretAccessKey, AWS_DEFAULT_REGION: AWS.region,
  });
  startProc(ctx, 'fake-gcs-server', B.fakeGcsServer, [
    '-scheme', 'http', '-host', '127.0.0.1', '-port', String(gcsPort), '-backend', 'filesystem',
    '-filesystem-root', path.join(dir, 'gcs'), '-public-host', `127.0.0.1:${gcsPort}`,
    '-external-url', `http://127.0.0.1:${gcsPort}`, '-log-level', 'warn',
  ]);
  startProc(ctx, 'azurite', process.execPath, [
    B.azuriteBlob, '--blobHost', '127.0.0.1', '--blobPort', String(azPort), '--location', path.join(dir, 'azurite'),
    '--skipApiVersionCheck', '--loose', '--disableTelemetry', '--silent',
  ]);
  startProc(ctx, 'csi-hostpath', B.csiHostpath, [
    `--endpoint=unix://${sock}`, `--drivername=${CSI_DRIVER}`, `--nodeid=${NODE_NAME}`, `--statedir=${csiData}`,
  ]);

  const emulatorsReady = Promise.all([
    waitFor(ctx, 'moto', 'GET /moto-api/data.json', timeout, async () => (await httpRequest(`http://127.0.0.1:${motoPort}/moto-api/data.json`)).status === 200),
    waitFor(ctx, 'fake-gcs-server', 'GET /_internal/healthcheck', timeout, async () => (await httpRequest(`http://127.0.0.1:${gcsPort}/_internal/healthcheck`)).status === 200),
    waitFor(ctx, 'azurite', 'an HTTP answer on the blob port', timeout, async () => (await httpRequest(`http://127.0.0.1:${azPort}/${AZ_ACCOUNT}?comp=list`)).status > 0),
    waitFor(ctx, 'csi-hostpath', 'its socket', timeout, () => fs.existsSync(sock) && logContains(ctx, 'csi-hostpath', 'serving on')),
  ]);
  // don't leave a rejected promise unobserved while the control plane starts
  emulatorsReady.catch(() => undefined);

  // --- control plane ---------------------------------------------------------------------------------
  const [pki] = await Promise.all([
    makePki(ctx).then((p) => {
      ctx.timings.pki = Date.now() - ctx.t0;
      return p;
    }),
    waitFor(ctx, 'etcd', 'GET /health', timeout, async () => {
      const r = await httpRequest(`${etcdUrl}/health`);
      return r.status === 200 && r.body.includes('"true"');
    }, 50),
  ]);
  const ca = await fsp.readFile(pki.ca);
  await writeKubeconfig(kubeconfig, apiServer, pki);

  startProc(ctx, 'kube-apiserver', B.kubeApiserver, [
    `--etcd-servers=${etcdUrl}`,
    '--bind-address=127.0.0.1', `--secure-port=${apiPort}`,
    '--advertise-address=127.0.0.1', '--endpoint-reconciler-type=none',
    `--cert-dir=${path.join(dir, 'apiserver')}`, `--tls-cert-file=${pki.serverCert}`, `--tls-private-key-file=${pki.serverKey}`,
    `--client-ca-file=${pki.ca}`, `--token-auth-file=${pki.tokens}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${pki.saPub}`, `--service-account-signing-key-file=${pki.saKey}`,
    '--service-cluster-ip-range=10.96.0.0/16',
    '--authorization-mode=Node,RBAC', '--allow-privileged=true',
    // pods/exec, logs, port-forward: the apiserver dials the node's InternalIP (127.0.0.1, kwok's server).
    // The default order tries the Hostname address first, which would need a DNS lookup of "kwok-node-0".
    '--kubelet-preferred-address-types=InternalIP',
    '--profiling=false', '--v=1',
  ]);
  const kube = (p: string, method = 'GET', body?: unknown) =>
    httpRequest(`${apiServer}${p}`, { ca, token: pki.token, method, body: body === undefined ? undefined : JSON.stringify(body), timeoutMs: 5000 });
  await waitFor(ctx, 'kube-apiserver', 'GET /readyz', timeout, async () => {
    const r = await kube('/readyz');
    return r.status === 200 && r.body.trim() === 'ok';
  }, 100);

  // --- everything that needs the apiserver -------------------------------------------------------------
  const kcfg = `--kubeconfig=${kubeconfig}`;
  startProc(ctx, 'kube-controller-manager', B.kubeControllerManager, [
    kcfg, '--bind-address=127.0.0.1', `--secure-port=${kcmPort}`, `--cert-dir=${path.join(dir, 'kcm')}`, '--leader-elect=false',
    '--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics',
    `--root-ca-file=${pki.ca}`, `--service-account-private-key-file=${pki.saKey}`, '--use-service-account-credentials=false',
    `--cluster-signing-cert-file=${pki.ca}`, `--cluster-signing-key-file=${pki.caKey}`,
    '--kube-api-qps=100', '--kube-api-burst=200', '--profiling=false',
  ]);
  startProc(ctx, 'kube-scheduler', B.kubeScheduler, [
    kcfg, '--bind-address=127.0.0.1', `--secure-port=${schedPort}`, `--cert-dir=${path.join(dir, 'scheduler')}`, '--leader-elect=false',
    '--kube-api-qps=100', '--kube-api-burst=200', '--profiling=false',
  ]);
  const stages = KWOK_STAGES.map((s) => `--config=${path.join(peers.data.kwokStages, s)}`);
  const execConfig = await writeKwokExecConfig(dir);
  startProc(ctx, 'kwok', B.kwok, [
    kcfg, '--manage-all-nodes=true', ...stages, `--config=${execConfig}`, '--node-lease-duration-seconds=40',
    '--node-ip=127.0.0.1', `--node-port=${kwokPort}`, `--server-address=127.0.0.1:${kwokPort}`,
    `--tls-cert-file=${pki.serverCert}`, `--tls-private-key-file=${pki.serverKey}`,
  ]);

  // cluster objects: created through the REST API (201, or 409 when they already exist)
  const create = (p: string, obj: { kind: string }) =>
    waitFor(ctx, 'kube-apiserver', `create ${obj.kind}`, timeout, async () => {
      const r = await kube(p, 'POST', obj);
      if (r.status === 201 || r.status === 409) return true;
      if (r.status === 404) return false; // a CRD's endpoint not served yet
      throw new Error(`POST ${p}: ${r.status} ${r.body.slice(0, 300)}`);
    }, 100, `create ${obj.kind}`);
  const coreObjects = Promise.all([
    create('/apis/storage.k8s.io/v1/csidrivers', {
      apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver', metadata: { name: CSI_DRIVER },
      spec: { attachRequired: false, podInfoOnMount: true, volumeLifecycleModes: ['Persistent'], fsGroupPolicy: 'File' },
    } as { kind: string }),
    create('/apis/storage.k8s.io/v1/storageclasses', {
      apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass',
      metadata: { name: STORAGE_CLASS, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: CSI_DRIVER, reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate', allowVolumeExpansion: false,
    } as { kind: string }),
    create('/api/v1/nodes', {
      apiVersion: 'v1', kind: 'Node',
      metadata: {
        name: NODE_NAME,
        labels: { type: 'kwok', 'kubernetes.io/hostname': NODE_NAME, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' },
        annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      },
    } as { kind: string }),
  ]);
  coreObjects.catch(() => undefined);

  // snapshot CRDs (YAML files of the external-snapshotter client module), then the snapshot controllers
  // and the CSI sidecars, so they find the CRDs at once
  const crdFiles = SNAPSHOT_CRDS.map((f) => path.join(peers.data.snapshotCrds, f));
  await run(B.kubectl, [kcfg, 'apply', '--server-side', '--field-manager=velero-ts-env', ...crdFiles.flatMap((f) => ['-f', f])], { env: ctx.childEnv });
  ctx.timings['crds applied'] = Date.now() - ctx.t0;
  const crdNames = SNAPSHOT_CRDS.map((f) => f.replace(/^([^_]+)_(.+)\.yaml$/, '$2.$1'));
  await waitFor(ctx, 'kube-apiserver', 'snapshot CRDs Established', timeout, async () => {
    for (const n of crdNames) {
      const r = await kube(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${n}`);
      if (r.status !== 200) return false;
      const conds = (JSON.parse(r.body).status?.conditions ?? []) as Array<{ type: string; status: string }>;
      if (!conds.some((c) => c.type === 'Established' && c.status === 'True')) return false;
    }
    return true;
  }, 100, 'crds');

  startProc(ctx, 'snapshot-controller', B.snapshotController, [kcfg, '--leader-election=false']);
  startProc(ctx, 'csi-provisioner', B.csiProvisioner, [`--csi-address=${sock}`, kcfg, '--leader-election=false', '--extra-create-metadata']);
  startProc(ctx, 'csi-snapshotter', B.csiSnapshotter, [`--csi-address=${sock}`, kcfg, '--leader-election=false', '--extra-create-metadata']);
  await create('/apis/snapshot.storage.k8s.io/v1/volumesnapshotclasses', {
    apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshotClass',
    metadata: { name: SNAPSHOT_CLASS, labels: { 'velero.io/csi-volumesnapshot-class': 'true' } },
    driver: CSI_DRIVER, deletionPolicy: 'Delete',
  } as { kind: string });
  await coreObjects;
  ctx.timings.objects = Date.now() - ctx.t0;

  // --- readiness of the rest ---------------------------------------------------------------------------
  const healthz = (port: number) => async () => {
    const r = await httpRequest(`https://127.0.0.1:${port}/healthz`, { insecure: true });
    return r.status === 200;
  };
  await Promise.all([
    emulatorsReady,
    waitFor(ctx, 'kube-controller-manager', 'GET /healthz', timeout, healthz(kcmPort)),
    waitFor(ctx, 'kube-scheduler', 'GET /healthz', timeout, healthz(schedPort)),
    waitFor(ctx, 'kwok', `node ${NODE_NAME} Ready, its kubelet endpoint this kwok's port`, timeout, async () => {
      const r = await kube(`/api/v1/nodes/${NODE_NAME}`);
      if (r.status !== 200) return false;
      const status = JSON.parse(r.body).status ?? {};
      const conds = (status.conditions ?? []) as Array<{ type: string; status: string }>;
      if (!conds.some((c) => c.type === 'Ready' && c.status === 'True')) return false;
      // A node kept from an earlier `up` of this dir (etcd data reused) still names the port of that
      // kwok, and kwok sets it only when it initialises a node that is not Ready: pods/exec and logs
      // would dial a dead port. Point it at this kwok.
      if (status.daemonEndpoints?.kubeletEndpoint?.Port !== kwokPort) {
        const patch = { status: { daemonEndpoints: { kubeletEndpoint: { Port: kwokPort } } } };
        const p = await httpRequest(`${apiServer}/api/v1/nodes/${NODE_NAME}/status`, { ca, token: pki.token, method: 'PATCH', body: JSON.stringify(patch), contentType: 'application/merge-patch+json', timeoutMs: 5000 });
        if (p.status !== 200) throw new Error(`PATCH node ${NODE_NAME} status (kubelet endpoint port ${kwokPort}): ${p.status} ${p.body.slice(0, 300)}`);
        return false;
      }
      return true;
    }),
    waitFor(ctx, 'kube-controller-manager', 'ServiceAccount default/default', timeout, async () =>
      (await kube('/api/v1/namespaces/default/serviceaccounts/default')).status === 200, 100, 'serviceaccount'),
    waitFor(ctx, 'snapshot-controller', 'its controller started', timeout, () => logContains(ctx, 'snapshot-controller', 'Starting snapshot controller')),
    waitFor(ctx, 'csi-provisioner', 'its controller started', timeout, () => logContains(ctx, 'csi-provisioner', 'Started provisioner controller')),
    waitFor(ctx, 'csi-snapshotter', 'its controller started', timeout, () => logContains(ctx, 'csi-snapshotter', 'Starting CSI snapshotter')),
  ]);

  const version = JSON.parse((await kube('/version')).body).gitVersion as string;
  ctx.timings.total = Date.now() - ctx.t0;
  const motoUrl = `http://127.0.0.1:${motoPort}`;
  const blobEndpoint = `http://127.0.0.1:${azPort}/${AZ_ACCOUNT}`;
  const endpoints: Endpoints = {
    schema: 1,
    dir,
    kubeconfig,
    apiServer,
    kubernetes: {
      version, caFile: pki.ca, token: pki.token, clientCertFile: pki.adminCert, clientKeyFile: pki.adminKey, nodeName: NODE_NAME,
    },
    etcd: { endpoint: etcdUrl },
    s3: { endpoint: motoUrl, ...AWS, forcePathStyle: true },
    ec2: { endpoint: motoUrl, ...AWS },
    gcs: { endpoint: `http://127.0.0.1:${gcsPort}`, projectId: 'vt' },
    azure: {
      connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZ_ACCOUNT};AccountKey=${AZ_KEY};BlobEndpoint=${blobEndpoint};`,
      blobEndpoint, account: AZ_ACCOUNT, key: AZ_KEY,
    },
    csi: { driver: CSI_DRIVER, storageClass: STORAGE_CLASS, volumeSnapshotClass: SNAPSHOT_CLASS, dataDir: csiData, socket: sock },
    exec: { workDir: path.join(dir, 'exec'), config: path.join(dir, 'kwok-exec.yaml'), containerLog: path.join(dir, 'exec', 'container.log') },
    pids: Object.fromEntries(Object.entries(ctx.procs).map(([k, v]) => [k, v.pid])),
    procs: ctx.procs,
    timings: ctx.timings,
    startedAt: new Date(ctx.t0).toISOString(),
  };
  const tmp = path.join(dir, 'endpoints.json.tmp');
  await fsp.writeFile(tmp, JSON.stringify(endpoints, null, 2) + '\n');
  await fsp.rename(tmp, path.join(dir, 'endpoints.json'));
  ctx.log(`up in ${(ctx.timings.total / 1000).toFixed(1)}s: ${path.join(dir, 'endpoints.json')}`);
  return endpoints;
}

// ----------------------------------------------------------------------------------------------------
// down / status

// Stop order: clients of the apiserver first, then the apiserver, then etcd (an apiserver whose etcd is
// gone, or that still has controllers attached, takes much longer to shut down).
const STOP_TIERS: Array<(name: string) => boolean> = [
  (n) => n !== 'kube-apiserver' && n !== 'etcd',
  (n) => n === 'kube-apiserver',
  (n) => n === 'etcd',
];

async function stopProcs(procs: Record<string, ProcRecord>, log: (m: string) => void, graceMs = 10_000): Promise<void> {
  const stuck: string[] = [];
  for (const inTier of STOP_TIERS) {
    const live = Object.entries(procs).filter(([name, p]) => inTier(name) && procAlive(p));
    for (const [, p] of live) {
      try {
        process.kill(p.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    }
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && live.some(([, p]) => procAlive(p))) await sleep(25);
    for (const [name, p] of live) {
      if (procAlive(p)) {
        log(`${name} (pid ${p.pid}) ignored SIGTERM for ${graceMs} ms: SIGKILL`);
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    const killDeadline = Date.now() + 5000;
    while (Date.now() < killDeadline && live.some(([, p]) => procAlive(p))) await sleep(25);
    stuck.push(...live.filter(([, p]) => procAlive(p)).map(([n, p]) => `${n}(${p.pid})`));
  }
  if (stuck.length) throw new Error(`could not stop: ${stuck.join(', ')}`);
}

function readPids(dir: string): Record<string, ProcRecord> {
  const f = pidsFile(path.resolve(dir));
  if (!fs.existsSync(f)) return {};
  return JSON.parse(fs.readFileSync(f, 'utf8')) as Record<string, ProcRecord>;
}

/** Stops exactly the processes recorded in DIR/pids.json (by pid, checked against their start time). */
export async function down(dir: string, options: { log?: (m: string) => void; remove?: boolean } = {}): Promise<void> {
  const log = options.log ?? ((m: string) => process.stderr.write(`env: ${m}\n`));
  const procs = readPids(dir);
  const t0 = Date.now();
  await stopProcs(procs, log);
  log(`down: stopped ${Object.keys(procs).length} recorded processes in ${Date.now() - t0} ms`);
  if (options.remove) await fsp.rm(path.resolve(dir), { recursive: true, force: true });
}

/** True when every process recorded in DIR is still running and endpoints.json exists. */
export function isAlive(dir: string): boolean {
  const procs = readPids(dir);
  return (
    fs.existsSync(path.join(path.resolve(dir), 'endpoints.json')) &&
    Object.keys(procs).length > 0 &&
    Object.values(procs).every(procAlive)
  );
}

export function status(dir: string): Array<{ name: string; pid: number; alive: boolean; rssMiB: number }> {
  return Object.entries(readPids(dir)).map(([name, p]) => {
    const alive = procAlive(p);
    return { name, pid: p.pid, alive, rssMiB: alive ? Math.round(rssKiB(p.pid) / 1024) : 0 };
  });
}

// ----------------------------------------------------------------------------------------------------
// watchdog: stops an environment when the process that owns it dies without tearing it down

/**
 * Starts a small detached process that stops the environment in `dir` (by its recorded pids) once the
 * owner process exits, e.g. a test run killed before its teardown. It is recorded in DIR/pids.json as
 * "watchdog", so a normal `down` stops it too.
 */
export function startWatchdog(dirArg: string, ownerPid: number = process.pid): ProcRecord {
  const dir = path.resolve(dirArg);
  const ownerTicks = procStartTicks(ownerPid);
  if (ownerTicks === undefined) throw new Error(`owner pid ${ownerPid} is not running`);
  const log = path.join(dir, 'logs', 'watchdog.log');
  const fd = fs.openSync(log, 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'watch', '--dir', dir, '--owner', `${ownerPid}:${ownerTicks}`], {
      cwd: dir, detached: true, stdio: ['ignore', fd, fd], env: { PATH: process.env.PATH, PEERS_HOME: process.env.PEERS_HOME },
    });
  } finally {
    fs.closeSync(fd);
  }
  child.unref();
  const startTicks = child.pid === undefined ? undefined : procStartTicks(child.pid);
  if (child.pid === undefined || startTicks === undefined) throw new Error(`could not start the watchdog; see ${log}`);
  const rec: ProcRecord = { pid: child.pid, startTicks, log };
  const procs = readPids(dir);
  procs.watchdog = rec;
  const tmp = pidsFile(dir) + '.tmp';
  fs.writeFileSync(tmp, JSON.stringify(procs, null, 2));
  fs.renameSync(tmp, pidsFile(dir));
  return rec;
}

async function watch(dir: string, owner: string): Promise<void> {
  const [pid, ticks] = owner.split(':').map(Number) as [number, number];
  const log = (m: string) => process.stdout.write(`${new Date().toISOString()} ${m}\n`);
  log(`watching owner pid ${pid} of ${dir}`);
  for (;;) {
    await sleep(1000);
    if (!fs.existsSync(pidsFile(dir))) return;
    if (procStartTicks(pid) !== ticks) break;
  }
  log(`owner ${pid} is gone without tearing the environment down: stopping it (dir kept)`);
  fs.writeFileSync(path.join(dir, '.keep'), `owner ${pid} exited without teardown\n`);
  const procs = readPids(dir);
  delete procs.watchdog;
  await stopProcs(procs, log);
  log('stopped');
}

// ----------------------------------------------------------------------------------------------------
// CLI

function usage(): never {
  process.stderr.write('usage: node test/peers/env.ts up --dir DIR | down --dir DIR [--rm] | status --dir DIR\n');
  process.exit(2);
}

async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  let dir: string | undefined;
  let remove = false;
  let owner = '';
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] ?? '';
    if (a === '--dir') dir = rest[++i];
    else if (a === '--owner') owner = rest[++i] ?? '';
    else if (a.startsWith('--dir=')) dir = a.slice(6);
    else if (a === '--rm') remove = true;
    else usage();
  }
  if (!dir) {
    if (cmd !== 'up') usage();
    dir = fs.mkdtempSync('/tmp/vt.');
  }
  switch (cmd) {
    case 'up': {
      const ep = await up(dir);
      process.stdout.write(`${JSON.stringify({ dir: ep.dir, endpoints: path.join(ep.dir, 'endpoints.json'), kubeconfig: ep.kubeconfig, seconds: (ep.timings.total ?? 0) / 1000 })}\n`);
      break;
    }
    case 'down':
      await down(dir, { remove });
      break;
    case 'watch':
      await watch(path.resolve(dir), owner);
      break;
    case 'status': {
      const st = status(dir);
      for (const s of st) process.stdout.write(`${s.name.padEnd(24)} pid ${String(s.pid).padEnd(8)} ${s.alive ? 'running' : 'stopped'} ${s.alive ? `${s.rssMiB} MiB` : ''}\n`);
      const total = st.reduce((a, s) => a + s.rssMiB, 0);
      process.stdout.write(`total RSS ${total} MiB\n`);
      if (!st.length || st.some((s) => !s.alive)) process.exitCode = 1;
      break;
    }
    default:
      usage();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e: Error) => {
    process.stderr.write(`env: ${e.message}\n`);
    process.exit(1);
  });
}
