import { KubeConfig } from "@kubernetes/client-node";
import { afterEach, describe, expect, it, vi } from "vitest";
import { HttpKubeClient } from "../kube/http-kube-client.js";
import { FakeKubeClient } from "../testing/fake-kube-client.js";
import { defaultMetricsAddress, DEFAULT_METRICS_ADDRESS, IN_CLUSTER_METRICS_ADDRESS } from "./server.js";

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("the metrics endpoint's default address", () => {
  it("in a pod (the service account's configuration) is Velero's :8085, so Prometheus can scrape the pod's IP", () => {
    vi.stubEnv("KUBERNETES_SERVICE_HOST", "10.96.0.1");
    vi.stubEnv("KUBERNETES_SERVICE_PORT", "443");
    const kc = new KubeConfig();
    kc.loadFromCluster();
    expect(defaultMetricsAddress(new HttpKubeClient(kc))).toBe(IN_CLUSTER_METRICS_ADDRESS);
    expect(IN_CLUSTER_METRICS_ADDRESS).toBe(":8085");
  });

  it("with a kubeconfig (a server run beside the cluster) is this machine only, 127.0.0.1:8085", () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "c", server: "https://127.0.0.1:6443", skipTLSVerify: true }],
      users: [{ name: "u", token: "t" }],
      contexts: [{ name: "x", cluster: "c", user: "u" }],
      currentContext: "x",
    });
    expect(defaultMetricsAddress(new HttpKubeClient(kc))).toBe(DEFAULT_METRICS_ADDRESS);
    expect(DEFAULT_METRICS_ADDRESS).toBe("127.0.0.1:8085");
    expect(defaultMetricsAddress(new FakeKubeClient())).toBe(DEFAULT_METRICS_ADDRESS);
  });
});
