// `velero server` starting, as a real CLI process against the real API server:
// - told to stop (SIGTERM) while it is still starting: plugin discovery is waiting for a plugin that
//   never prints its handshake, and that plugin has started a child of its own. The server exits at
//   once, and neither the plugin nor its child is left running (they were reparented to init and lived on);
// - run outside the cluster after `velero install --secret-file`: it says the installed Secret is not
//   read and how to pass it; and it removes the credentials temp files a server killed mid-write
//   left in $TMPDIR/credentials/<namespace> (those of processes that no longer run, and an earlier
//   version's pid-less ones older than a minute), keeping a live process's and a younger pid-less one.
// - stopped (SIGTERM) right after it started: it exits 0 without warning about the watches it ended.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { GVR } from "../../../host/src/kube/gvr.ts";
import { createKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { installCrds } from "../../../host/src/kube/crds.ts";
import { ROOT } from "../../../scripts/build-plugins.ts";
import { deadPid } from "../../../host/src/testing/processes.ts";
import { loadEndpoints } from "../../helpers/endpoints.ts";
import { eventually } from "../../helpers/velero-server.ts";

const NAMESPACE = `vt-sigstart-${Math.random().toString(36).slice(2, 8)}`;
const dir = mkdtempSync(join(tmpdir(), "vt-sigstart-"));

/** Whether `pid` runs (a zombie, exited but not yet reaped, counts as gone). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** `velero server` (the built CLI) for `namespace` as a child process; `output` gathers its stdout and stderr. */
function spawnServer(namespace: string, pluginDir: string, env: NodeJS.ProcessEnv = process.env): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(
    process.execPath,
    [join(ROOT, "host", "dist", "main.js"), "server", "--namespace", namespace, "--kubeconfig", loadEndpoints().kubeconfig, "--plugin-dir", pluginDir, "--metrics-address", "127.0.0.1:0"],
    { stdio: ["ignore", "pipe", "pipe"], env },
  );
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

afterAll(async () => {
  for (const f of ["plugin.pid", "child.pid"]) {
    const file = join(dir, f);
    if (existsSync(file)) {
      const pid = Number(readFileSync(file, "utf8"));
      if (running(pid)) process.kill(pid, "SIGKILL");
    }
  }
  const kube = createKubeClient({ kubeconfig: loadEndpoints().kubeconfig });
  await kube.delete(GVR.namespaces, NAMESPACE).catch(() => undefined);
  await kube.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("velero server run outside the cluster after velero install --secret-file", () => {
  it("warns that the installed cloud-credentials Secret is not read and says how to pass it; removes stale credentials temp files", async () => {
    const ns = `${NAMESPACE}-creds`;
    const kube = createKubeClient({ kubeconfig: loadEndpoints().kubeconfig });
    await installCrds(kube);
    await kube.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    await kube.create(GVR.secrets, { apiVersion: "v1", kind: "Secret", metadata: { namespace: ns, name: "cloud-credentials" }, data: { cloud: Buffer.from("[default]\n").toString("base64") } });
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(AWS_|GOOGLE_APPLICATION_CREDENTIALS|AZURE_CREDENTIALS_FILE)/.test(k)));
    // what a server killed between writing a credentials temp file and renaming it left behind
    const tmp = mkdtempSync(join(dir, "tmp-"));
    env["TMPDIR"] = tmp;
    const credentialsDir = join(tmp, "credentials", ns);
    mkdirSync(credentialsDir, { recursive: true });
    const deadWriter = `.cloud-credentials-cloud.${deadPid()}.0123456789ab.tmp`; // seconds old
    const liveWriter = `.cloud-credentials-cloud.${process.pid}.ba9876543210.tmp`; // another server's write in progress
    const stale = ".cloud-credentials-cloud.0123456789ab.tmp"; // an earlier version's, without a pid
    const young = ".cloud-credentials-cloud.ba9876543210.tmp";
    for (const name of [deadWriter, liveWriter, stale, young, "cloud-credentials-cloud"]) writeFileSync(join(credentialsDir, name), "[default]\n");
    const longAgo = new Date(Date.now() - 10 * 60_000);
    for (const name of [liveWriter, stale, "cloud-credentials-cloud"]) utimesSync(join(credentialsDir, name), longAgo, longAgo);
    const emptyPluginDir = mkdtempSync(join(dir, "noplugins-"));
    const { child: server, output } = spawnServer(ns, emptyPluginDir, env);
    try {
      await eventually("the warning", async () => output().includes('Secret \\"cloud-credentials\\" in namespace') || output().includes('Secret "cloud-credentials" in namespace'), 30_000);
      expect(output()).toContain(`kubectl -n ${ns} get secret cloud-credentials`);
      expect(output()).toContain("AWS_SHARED_CREDENTIALS_FILE=$PWD/credentials-velero");
      await eventually("the stale temp files removed", async () => output().includes("removed credentials temp files a killed server left"), 30_000);
      expect(output()).toMatch(/removed credentials temp files a killed server left.*\bfiles"?[:=]2\b/);
      expect(readdirSync(credentialsDir).sort()).toEqual([liveWriter, young, "cloud-credentials-cloud"].sort());
    } finally {
      server.kill("SIGKILL");
      await kube.delete(GVR.namespaces, ns).catch(() => undefined);
      await kube.close();
    }
  });
});

describe("velero server stopped while starting", () => {
  it("exits on SIGTERM during plugin discovery and leaves no plugin process behind", async () => {
    const kube = createKubeClient({ kubeconfig: loadEndpoints().kubeconfig });
    await installCrds(kube);
    await kube.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } });
    await kube.close();
    const pluginDir = join(dir, "plugins");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(pluginDir);
    // never prints a handshake; its child holds the same stdout and stderr
    writeFileSync(
      join(pluginDir, "velero-plugin-silent"),
      `#!/bin/sh\nsleep 3031 &\necho $! > "${join(dir, "child.pid")}"\necho $$ > "${join(dir, "plugin.pid")}"\nsleep 3032\n`,
      { mode: 0o755 },
    );
    const { child: server, output, exited } = spawnServer(NAMESPACE, pluginDir);
    try {
      await eventually("the plugin and its child to start", async () => existsSync(join(dir, "child.pid")) && existsSync(join(dir, "plugin.pid")), 30_000);
      const pluginPid = Number(readFileSync(join(dir, "plugin.pid"), "utf8"));
      const childPid = Number(readFileSync(join(dir, "child.pid"), "utf8"));
      expect(running(pluginPid) && running(childPid)).toBe(true);
      server.kill("SIGTERM");
      expect(await exited).toBe(143);
      expect(output()).toContain("velero server: SIGTERM while starting; stopped 1 plugin process(es) started so far, exiting");
      await eventually("the plugin and its child to be gone", async () => !running(pluginPid) && !running(childPid), 5_000);
    } finally {
      if (server.exitCode === null) server.kill("SIGKILL");
    }
  });
});

describe("velero server stopped right after it started", () => {
  it("exits 0 on SIGTERM and does not take the watches it ended itself for the API server's doing", async () => {
    const ns = `${NAMESPACE}-quick`;
    const kube = createKubeClient({ kubeconfig: loadEndpoints().kubeconfig });
    await installCrds(kube);
    await kube.create(GVR.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    const emptyPluginDir = mkdtempSync(join(dir, "quick-plugins-"));
    const { child: server, output, exited } = spawnServer(ns, emptyPluginDir);
    try {
      // stopped while its controllers' watches are seconds old at most
      await eventually("the server to start", async () => output().includes('msg="server started"'), 60_000);
      server.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(output()).toContain('msg="server stopped"');
      expect(output().split("\n").filter((l) => l.includes("ended the watch"))).toEqual([]);
    } finally {
      if (server.exitCode === null) server.kill("SIGKILL");
      await kube.delete(GVR.namespaces, ns).catch(() => undefined);
      await kube.close();
    }
  });
});
