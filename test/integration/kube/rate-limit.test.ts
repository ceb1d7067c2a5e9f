// --client-qps / --client-burst against the real API server: a client limited to 10 requests a
// second after a burst of 2 spaces its requests. Only a lower bound on the time is asserted (a slow
// machine cannot break it; an unlimited client sends the 8 GETs at once, in a few milliseconds).
import { afterAll, describe, expect, it } from "vitest";
import { GVR } from "../../../host/src/kube/gvr.ts";
import { createKubeClient, type HttpKubeClient } from "../../../host/src/kube/http-kube-client.ts";
import { loadEndpoints } from "../../helpers/endpoints.ts";

const clients: HttpKubeClient[] = [];
afterAll(async () => {
  for (const c of clients) await c.close();
});

async function eightGets(options: { qps?: number; burst?: number }): Promise<number> {
  const kube = createKubeClient({ kubeconfig: loadEndpoints().kubeconfig, ...options });
  clients.push(kube);
  await kube.get(GVR.namespaces, "default"); // connection and credentials set up outside the timing
  const t0 = performance.now();
  const got = await Promise.all(Array.from({ length: 8 }, () => kube.get(GVR.namespaces, "default")));
  expect(got.every((n) => n?.metadata.name === "default")).toBe(true);
  return performance.now() - t0;
}

describe("the API client's request rate limit (real API server)", () => {
  it("with qps 10 and burst 2, eight requests take at least 0.6 s", async () => {
    // the warm-up GET took one of the two burst tokens; 8 more: about 1 at once, 7 at 100 ms each
    expect(await eightGets({ qps: 10, burst: 2 })).toBeGreaterThanOrEqual(600);
  });
});
