// The CLI's download fetch against a real TLS server with a private CA (MinIO-style), as Velero's
// CLI downloads with the location's CA, --cacert or --insecure-skip-tls-verify.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rootCertificates } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultDeps } from "./default-deps.js";

describe("defaultDeps().fetch over https", () => {
  const dir = mkdtempSync(join(tmpdir(), "velero-cli-ca-"));
  const p = (f: string): string => join(dir, f);
  let url = "";
  let server: ReturnType<typeof createServer>;
  let release = (): void => undefined;
  const released = new Promise<void>((r) => (release = r));

  beforeAll(async () => {
    const openssl = (...args: string[]): void => void execFileSync("openssl", args, { stdio: "ignore" });
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", p("ca.key"), "-out", p("ca.pem"), "-subj", "/CN=velero-ts test CA", "-days", "1");
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", p("server.key"), "-out", p("server.csr"), "-subj", "/CN=127.0.0.1");
    writeFileSync(p("ext.cnf"), "subjectAltName=IP:127.0.0.1\n");
    openssl("x509", "-req", "-in", p("server.csr"), "-CA", p("ca.pem"), "-CAkey", p("ca.key"), "-CAcreateserial", "-out", p("server.pem"), "-days", "1", "-extfile", p("ext.cnf"));
    server = createServer({ key: readFileSync(p("server.key")), cert: readFileSync(p("server.pem")) }, (req, res) => {
      if (req.url === "/streamed") {
        // the rest is sent only once the client has the response in hand: a fetch that read the whole body first never gets it
        res.write("first part, ");
        void released.then(() => res.end("rest"));
        return;
      }
      res.statusCode = req.url === "/missing" ? 404 : 200;
      res.end("signed content");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("trusts the CA it is given, keeps the status, refuses an unknown CA unless told to skip verification", async () => {
    const { fetch } = defaultDeps();
    const ca = readFileSync(p("ca.pem"), "utf8");
    const ok = await fetch(`${url}/b1-logs.gz`, { ca: [...rootCertificates, ca], insecure: false });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe("signed content");
    expect((await fetch(`${url}/missing`, { ca: [ca], insecure: false })).status).toBe(404);
    await expect(fetch(`${url}/b1-logs.gz`, { ca: [...rootCertificates], insecure: false })).rejects.toThrow();
    expect((await fetch(`${url}/b1-logs.gz`, { ca: [...rootCertificates], insecure: true })).status).toBe(200);
  });

  it("hands the response over before its body has arrived (a tarball is streamed to its file, not held whole)", async () => {
    const { fetch } = defaultDeps();
    const response = await fetch(`${url}/streamed`, { ca: [readFileSync(p("ca.pem"), "utf8")], insecure: false });
    release();
    expect(await response.text()).toBe("first part, rest");
  });
});
