// A second kube-apiserver on the run's etcd under an --etcd-prefix of its own: a cluster with
// nothing in it (no Velero CRDs, no controllers), started in a few seconds, for what the shared
// API server cannot show (a LIST served from etcd instead of the watch cache; a cluster without
// Velero's CRDs). It reuses the run's PKI, so the run's admin credentials work against it.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GVR } from "../../host/src/kube/gvr.ts";
import { createKubeClient } from "../../host/src/kube/http-kube-client.ts";
import { loadPeers } from "../peers/env.ts";
import type { Endpoints } from "./endpoints.ts";
import { freePort } from "./ports.ts";

export interface SecondApiServer {
  /** The run's kubeconfig (its admin certificate), pointed at this API server. */
  kubeconfig: string;
  url: string;
  stop(): Promise<void>;
}

/** Starts it (`extraArgs` added to the flags) and resolves once it serves LISTs. */
export async function startSecondApiServer(endpoints: Endpoints, prefix: string, extraArgs: string[] = []): Promise<SecondApiServer> {
  const work = mkdtempSync(join(tmpdir(), "vt-apiserver2-"));
  const port = await freePort();
  const pki = join(endpoints.dir, "pki");
  const logFile = join(work, "kube-apiserver.log");
  const log = openSync(logFile, "w");
  const child: ChildProcess = spawn(
    loadPeers().bin.kubeApiserver,
    [
      `--etcd-servers=${endpoints.etcd.endpoint}`,
      `--etcd-prefix=/${prefix}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${port}`,
      "--advertise-address=127.0.0.1",
      "--endpoint-reconciler-type=none",
      `--cert-dir=${work}`,
      `--tls-cert-file=${join(pki, "apiserver.crt")}`,
      `--tls-private-key-file=${join(pki, "apiserver.key")}`,
      `--client-ca-file=${join(pki, "ca.crt")}`,
      `--token-auth-file=${join(pki, "tokens.csv")}`,
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${join(pki, "sa.pub")}`,
      `--service-account-signing-key-file=${join(pki, "sa.key")}`,
      "--service-cluster-ip-range=10.96.0.0/16",
      "--authorization-mode=RBAC",
      "--profiling=false",
      ...extraArgs,
    ],
    { stdio: ["ignore", log, log] },
  );
  const url = `https://127.0.0.1:${port}`;
  const kubeconfig = join(work, "kubeconfig");
  writeFileSync(kubeconfig, readFileSync(endpoints.kubeconfig, "utf8").replace(endpoints.apiServer, url));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGKILL");
      await exited;
    }
    rmSync(work, { recursive: true, force: true });
  };
  const kube = createKubeClient({ kubeconfig });
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const ready = await kube.list(GVR.namespaces).then(
        () => true,
        () => false,
      );
      if (ready) break;
      if (child.exitCode !== null || Date.now() > deadline) {
        const tail = readFileSync(logFile, "utf8").slice(-2000);
        await stop();
        throw new Error(`the second kube-apiserver did not come up: ${tail}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await kube.close();
  }
  return { kubeconfig, url, stop };
}
