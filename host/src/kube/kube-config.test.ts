import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadKubeConfig } from "./kube-config.js";

describe("loadKubeConfig", () => {
  let home: string;
  const saved = { HOME: process.env.HOME, KUBECONFIG: process.env.KUBECONFIG };
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), "vt-home-"));
    process.env.HOME = home;
    delete process.env.KUBECONFIG;
  });
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(home, { recursive: true, force: true });
  });

  it("names what it looked for when there is no configuration anywhere (not client-node's localhost:8080 fallback)", () => {
    expect(() => loadKubeConfig()).toThrow(
      "no Kubernetes configuration found: no --kubeconfig, KUBECONFIG is not set, ~/.kube/config does not exist, and this is not a pod with a service account; pass --kubeconfig or set KUBECONFIG",
    );
  });

  it("reads ~/.kube/config when KUBECONFIG is not set", () => {
    mkdirSync(join(home, ".kube"));
    writeFileSync(
      join(home, ".kube", "config"),
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters: [{name: local, cluster: {server: 'https://127.0.0.1:6443'}}]",
        "users: [{name: me, user: {token: t}}]",
        "contexts: [{name: here, context: {cluster: local, user: me}}]",
        "current-context: here",
      ].join("\n"),
    );
    expect(loadKubeConfig().getCurrentCluster()?.server).toBe("https://127.0.0.1:6443");
  });

  it("names the file it could not read", () => {
    expect(() => loadKubeConfig({ kubeconfig: join(home, "missing") })).toThrow(`failed to load kubeconfig "${join(home, "missing")}"`);
  });
});
