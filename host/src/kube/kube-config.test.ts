import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
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

  /** A kubeconfig file of one cluster/user/context, all named `name` unless given. */
  function kubeconfigFile(file: string, o: { server: string; current?: string; cluster?: string; user?: string; context?: string }): string {
    const path = join(home, file);
    const cluster = o.cluster ?? file;
    const user = o.user ?? file;
    const context = o.context ?? file;
    writeFileSync(
      path,
      [
        "apiVersion: v1",
        "kind: Config",
        `clusters: [{name: ${cluster}, cluster: {server: '${o.server}'}}]`,
        `users: [{name: ${user}, user: {token: t-${file}}}]`,
        `contexts: [{name: ${context}, context: {cluster: ${cluster}, user: ${user}}}]`,
        ...(o.current ? [`current-context: ${o.current}`] : []),
      ].join("\n"),
    );
    return path;
  }

  it("merges several KUBECONFIG files as kubectl does: the first current-context wins, the first of a repeated name wins, missing files are skipped", () => {
    const a = kubeconfigFile("a", { server: "https://127.0.0.1:1001", current: "a", user: "kubernetes-admin" });
    const b = kubeconfigFile("b", { server: "https://127.0.0.1:1002", current: "b", user: "kubernetes-admin" });
    process.env.KUBECONFIG = [a, join(home, "missing"), b].join(delimiter);
    const kc = loadKubeConfig();
    expect(kc.getCurrentContext()).toBe("a");
    expect(kc.getCurrentCluster()?.server).toBe("https://127.0.0.1:1001");
    expect(kc.getCurrentUser()?.token).toBe("t-a");
    expect(kc.getContexts().map((c) => c.name).sort()).toEqual(["a", "b"]);
    // a later file's context can still be chosen
    expect(loadKubeConfig({ context: "b" }).getCurrentCluster()?.server).toBe("https://127.0.0.1:1002");
  });

  it("takes the current context from the first file that sets one", () => {
    const a = kubeconfigFile("a", { server: "https://127.0.0.1:1001" });
    const b = kubeconfigFile("b", { server: "https://127.0.0.1:1002", current: "b" });
    process.env.KUBECONFIG = [a, b].join(delimiter);
    expect(loadKubeConfig().getCurrentCluster()?.server).toBe("https://127.0.0.1:1002");
  });

  it("names the files when none of those KUBECONFIG lists exists", () => {
    process.env.KUBECONFIG = [join(home, "x"), join(home, "y")].join(delimiter);
    expect(() => loadKubeConfig()).toThrow(`none of the files KUBECONFIG names exists (${join(home, "x")}${delimiter}${join(home, "y")})`);
  });

  it("says where a kubeconfig's YAML is broken without quoting the file (js-yaml's code frame would show the token beside it)", () => {
    const path = join(home, "broken");
    writeFileSync(path, 'apiVersion: v1\nclusters: []\nusers:\n- name: u\n  user:\n    token: "TOKENMARKER123\n     bad: [\ncontexts: []\n');
    let message = "";
    try {
      loadKubeConfig({ kubeconfig: path });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(new RegExp(`^failed to load kubeconfig "${path}": yaml: line \\d+: .+; fix that file or pass another --kubeconfig$`));
    expect(message).not.toContain("TOKENMARKER");
  });

  it("names the file it could not read", () => {
    expect(() => loadKubeConfig({ kubeconfig: join(home, "missing") })).toThrow(`failed to load kubeconfig "${join(home, "missing")}"`);
  });
});
