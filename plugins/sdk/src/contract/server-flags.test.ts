import { describe, expect, it } from "vitest";
import { getPluginConfig, pluginConfigLabelSelector, veleroServerFlags } from "./server-flags.js";

describe("veleroServerFlags", () => {
  it("reads the server's flags as Go's flag package does, the last one winning, among flags it does not know", () => {
    expect(
      veleroServerFlags(["--uploader-type=kopia", "--namespace", "first", "-namespace=backup-ns", "--features=EnableCSI, EnableAPIGroupVersions", "--log-level", "debug", "--kubeconfig=/k"], {}),
    ).toEqual({ namespace: "backup-ns", kubeconfig: "/k", logLevel: "debug", features: ["EnableCSI", "EnableAPIGroupVersions"] });
  });

  it("takes the namespace from $VELERO_NAMESPACE (Velero's Deployment), then velero", () => {
    expect(veleroServerFlags([], { VELERO_NAMESPACE: "in-cluster" }).namespace).toBe("in-cluster");
    expect(veleroServerFlags([], {})).toEqual({ namespace: "velero", features: [] });
  });
});

describe("getPluginConfig", () => {
  it("lists with Go's selector, and answers none, the one, or an error naming several", async () => {
    expect(pluginConfigLabelSelector("RestoreItemAction", "example.io/relabel")).toBe("velero.io/plugin-config,example.io/relabel=RestoreItemAction");
    const asked: string[] = [];
    const cm = (name: string) => ({ metadata: { name }, data: { k: "v" } });
    expect(await getPluginConfig("RestoreItemAction", "example.io/x", async (s) => (asked.push(s), []))).toBeUndefined();
    expect(asked).toEqual(["velero.io/plugin-config,example.io/x=RestoreItemAction"]);
    expect(await getPluginConfig("RestoreItemAction", "example.io/x", async () => [cm("one")])).toEqual(cm("one"));
    await expect(getPluginConfig("RestoreItemAction", "example.io/x", async () => [cm("a"), cm("b")])).rejects.toThrow(
      'found more than one ConfigMap matching label selector "velero.io/plugin-config,example.io/x=RestoreItemAction": [a b]',
    );
  });
});
