// The shape of DIR/endpoints.json written by `npm run env -- up --dir DIR` (test/peers/env.ts), and a
// loader for test code. Every address is on 127.0.0.1. Pod and Service IPs inside the cluster are fake
// (kwok): never dial them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ProcRecord {
  pid: number;
  /** /proc/<pid>/stat field 22 (start time in clock ticks): guards against pid reuse in `down` */
  startTicks: number;
  /** log file under DIR/logs */
  log: string;
}

export interface Endpoints {
  schema: 1;
  /** the environment directory (absolute) */
  dir: string;
  /** admin kubeconfig (client certificate of a system:masters user), DIR/kubeconfig */
  kubeconfig: string;
  /** https://127.0.0.1:PORT */
  apiServer: string;
  kubernetes: {
    version: string;
    /** CA that signed the apiserver certificate */
    caFile: string;
    /** static bearer token of a system:masters user (kube-apiserver --token-auth-file) */
    token: string;
    /** admin client certificate and key (also embedded in the kubeconfig) */
    clientCertFile: string;
    clientKeyFile: string;
    /** the kwok node every pod is scheduled to */
    nodeName: string;
  };
  etcd: { endpoint: string };
  s3: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string; forcePathStyle: true };
  ec2: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string };
  gcs: { endpoint: string; projectId: string };
  azure: { connectionString: string; blobEndpoint: string; account: string; key: string };
  csi: {
    driver: string;
    storageClass: string;
    volumeSnapshotClass: string;
    /** volumes live in dataDir/<PV spec.csi.volumeHandle>/ */
    dataDir: string;
    socket: string;
  };
  /**
   * pods/exec simulation (kwok ClusterExec, target local): `kubectl exec` / the exec subresource on any pod runs
   * the command as a HOST process (not in a container) with cwd = workDir and env VT_EXEC_DIR = workDir.
   */
  exec: {
    /** DIR/exec: the working directory of every exec'd command */
    workDir: string;
    /** DIR/kwok-exec.yaml: the ClusterExec (and ClusterLogs) config passed to kwok with --config */
    config: string;
    /** DIR/exec/container.log: what `pods/log` answers for every container of every pod (kwok ClusterLogs) */
    containerLog: string;
  };
  /** name -> pid of every process `up` started (stopped by `down`, by pid) */
  pids: Record<string, number>;
  procs: Record<string, ProcRecord>;
  /** milliseconds from the start of `up` until each component was ready, and in total */
  timings: Record<string, number>;
  startedAt: string;
}

/** Reads endpoints.json of the environment in `dir` (default: process.env.VT_ENV_DIR). */
export function loadEndpoints(dir: string | undefined = process.env.VT_ENV_DIR): Endpoints {
  if (!dir) {
    throw new Error(
      'VT_ENV_DIR is not set: run the tests through the vitest config (its globalSetup starts the environment), ' +
        'or start one with `npm run env -- up --dir DIR` and export VT_ENV_DIR=DIR',
    );
  }
  const file = join(dir, 'endpoints.json');
  return JSON.parse(readFileSync(file, 'utf8')) as Endpoints;
}
