import { KubeConfig } from "@kubernetes/client-node";
import { afterEach, describe, expect, it, vi } from "vitest";
import { HttpKubeClient } from "../kube/http-kube-client.js";
import { FakeKubeClient } from "../testing/fake-kube-client.js";
import { defaultMetricsAddress, DEFAULT_METRICS_ADDRESS, IN_CLUSTER_METRICS_ADDRESS, parseMetricsAddress } from "./server.js";

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

describe("--metrics-address, read as Go's listener reads it", () => {
  it("with no host (Velero's :8085) listens on every interface, not on loopback", () => {
    expect(parseMetricsAddress(":8085")).toEqual({ host: undefined, port: 8085 });
    expect(parseMetricsAddress(IN_CLUSTER_METRICS_ADDRESS).host).toBeUndefined();
  });

  it("keeps a given host, IPv6 ones without their brackets", () => {
    expect(parseMetricsAddress("127.0.0.1:0")).toEqual({ host: "127.0.0.1", port: 0 });
    expect(parseMetricsAddress("[::1]:9090")).toEqual({ host: "::1", port: 9090 });
    expect(parseMetricsAddress("0.0.0.0:8085")).toEqual({ host: "0.0.0.0", port: 8085 });
  });

  it("refuses what is not host:port, naming the flag and the forms it takes", () => {
    for (const bad of ["8085", "127.0.0.1:", "127.0.0.1:http", ":70000", "::1:8085", "[127.0.0.1]:80"]) {
      expect(() => parseMetricsAddress(bad), bad).toThrow(`invalid --metrics-address "${bad}": expected host:port`);
    }
  });
});
