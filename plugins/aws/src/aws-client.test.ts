import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer as createHttpServer, get as httpGet, type Agent as HttpAgent } from "node:http";
import { createServer as createHttpsServer, get as httpsGet, type Agent as HttpsAgent } from "node:https";
import type { AddressInfo } from "node:net";
import { getCACertificates, rootCertificates } from "node:tls";
import { createServer as createTcpServer, type Socket } from "node:net";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { awsClientBaseConfig, awsRequestHandler, configuredEndpoint, SOCKET_IDLE_TIMEOUT_MS } from "./aws-client.js";
import { explainAwsError } from "./errors.js";

/** GETs a URL through an agent; resolves with the status or rejects with the connection's error. */
function fetchThrough(url: string, agent: HttpAgent | HttpsAgent): Promise<number> {
  const get = url.startsWith("https:") ? httpsGet : httpGet;
  return new Promise((resolve, reject) => {
    get(url, { agent: agent as HttpAgent }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    }).on("error", reject);
  });
}

describe("awsRequestHandler (proxies and trust, as the Go plugin's transport)", () => {
  it("sends requests through HTTP_PROXY (as Go's ProxyFromEnvironment), but not for NO_PROXY hosts", async () => {
    const seen: string[] = [];
    const proxy = createHttpServer((req, res) => (seen.push(`${req.method} ${req.url}`), res.end()));
    const direct = createHttpServer((req, res) => (seen.push(`direct ${req.url}`), res.end()));
    await Promise.all([new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r)), new Promise<void>((r) => direct.listen(0, "127.0.0.1", r))]);
    try {
      const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const handler = awsRequestHandler(undefined, { HTTP_PROXY: proxyUrl, NO_PROXY: "127.0.0.1" });
      expect(await fetchThrough("http://s3.example.invalid:9000/velero?list-type=2", handler.httpAgent)).toBe(200);
      expect(await fetchThrough(`http://127.0.0.1:${(direct.address() as AddressInfo).port}/x`, handler.httpAgent)).toBe(200);
      expect(seen).toEqual(["GET http://s3.example.invalid:9000/velero?list-type=2", "direct /x"]);
    } finally {
      proxy.close();
      direct.close();
    }
  });

  it("fails a request whose endpoint accepts the connection and then says nothing (no hang), naming the endpoint", async () => {
    expect(awsRequestHandler(undefined, {}).socketTimeout).toBe(SOCKET_IDLE_TIMEOUT_MS);
    const sockets: Socket[] = [];
    const silent = createTcpServer((socket) => void sockets.push(socket));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const client = new S3Client({
      endpoint,
      forcePathStyle: true,
      region: "us-east-1",
      maxAttempts: 2,
      credentials: { accessKeyId: "a", secretAccessKey: "b" },
      requestHandler: awsRequestHandler(undefined, {}, 300),
    });
    try {
      const error = await client.send(new ListObjectsV2Command({ Bucket: "velero" })).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(sockets.length).toBeGreaterThanOrEqual(2); // retried once, then gave up
      expect(explainAwsError(error, { service: "S3", endpoint, region: "us-east-1", bucket: "velero" })).toMatch(
        new RegExp(`^endpoint "${endpoint}" is unreachable \\(TimeoutError\\): .*timed out after 300 ms of inactivity.*; check s3Url`),
      );
    } finally {
      client.destroy();
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  it("trusts the CA that AWS_CA_BUNDLE names, or the location's caCert; refuses an unknown CA", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vt-aws-ca-"));
    const p = (f: string): string => join(dir, f);
    const openssl = (...args: string[]): void => void execFileSync("openssl", args, { stdio: "ignore" });
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", p("ca.key"), "-out", p("ca.pem"), "-subj", "/CN=velero-ts test CA", "-days", "1");
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", p("server.key"), "-out", p("server.csr"), "-subj", "/CN=127.0.0.1");
    await writeFile(p("ext.cnf"), "subjectAltName=IP:127.0.0.1\n");
    openssl("x509", "-req", "-in", p("server.csr"), "-CA", p("ca.pem"), "-CAkey", p("ca.key"), "-CAcreateserial", "-out", p("server.pem"), "-days", "1", "-extfile", p("ext.cnf"));
    const server = createHttpsServer({ key: readFileSync(p("server.key")), cert: readFileSync(p("server.pem")) }, (_req, res) => res.end());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      expect(await fetchThrough(url, awsRequestHandler(undefined, { AWS_CA_BUNDLE: p("ca.pem") }).httpsAgent)).toBe(200);
      expect(await fetchThrough(url, awsRequestHandler({ insecureSkipTLSVerify: false, caCert: readFileSync(p("ca.pem"), "utf8") }, {}).httpsAgent)).toBe(200);
      await expect(fetchThrough(url, awsRequestHandler(undefined, {}).httpsAgent)).rejects.toThrow(/self-signed|unable to verify|certificate/i);
      expect(() => awsRequestHandler(undefined, { AWS_CA_BUNDLE: p("missing.pem") })).toThrow(/cannot read AWS_CA_BUNDLE .*missing\.pem/);
    } finally {
      server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

const PEM = "-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n";

describe("awsClientBaseConfig", () => {
  it("verifies certificates by default, against the system store and Node's bundled roots", async () => {
    const config = await awsClientBaseConfig({}, { insecureSkipTLSVerify: false });
    expect(config.requestHandler.httpsAgent.options.rejectUnauthorized).toBe(true);
    const ca = config.requestHandler.httpsAgent.options.ca as string[];
    for (const root of [...rootCertificates.slice(0, 3), ...getCACertificates("system").slice(0, 3)]) expect(ca).toContain(root);
    expect(config.credentials).toBeUndefined();
  });

  it("skips certificate verification only when insecureSkipTLSVerify is set", async () => {
    const config = await awsClientBaseConfig({}, { insecureSkipTLSVerify: true });
    expect(config.requestHandler.httpsAgent?.options.rejectUnauthorized).toBe(false);
  });

  it("trusts caCert in addition to the system store", async () => {
    const config = await awsClientBaseConfig({}, { insecureSkipTLSVerify: false, caCert: PEM });
    const ca = config.requestHandler.httpsAgent?.options.ca as string[];
    expect(config.requestHandler.httpsAgent?.options.rejectUnauthorized).toBe(true);
    expect(ca).toContain(PEM);
    expect(ca.length).toBeGreaterThan(1);
  });

  it("passes the profile to the default chain when there is no credentials file", async () => {
    expect(await awsClientBaseConfig({ profile: "backup" })).toMatchObject({ profile: "backup" });
  });

  it("loads credentials from the file and profile eagerly", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vt-aws-"));
    const file = join(dir, "cloud");
    await writeFile(file, "[backup]\naws_access_key_id = AKIDBACKUP\naws_secret_access_key = s3cr3t\n");
    const config = await awsClientBaseConfig({ profile: "backup", credentialsFile: file });
    expect(await config.credentials?.()).toMatchObject({ accessKeyId: "AKIDBACKUP" });
    const error = (await awsClientBaseConfig({ profile: "other", credentialsFile: file }).catch((e: unknown) => e)) as Error;
    expect(error.message).toContain(`failed to load AWS credentials (profile "other" in file "${file}")`);
    expect(error.message).not.toContain("s3cr3t");
    await rm(dir, { recursive: true, force: true });
  });

  it("lets access keys in the environment come before a credentials file when the config names no profile, as the Go SDK's chain", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vt-aws-"));
    const file = join(dir, "cloud");
    await writeFile(file, "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s3cr3t\n[backup]\naws_access_key_id = AKIDBACKUP\naws_secret_access_key = s3cr3t\n");
    const env = { AWS_ACCESS_KEY_ID: "AKIDENV", AWS_SECRET_ACCESS_KEY: "envsecret", AWS_PROFILE: "backup" };
    // no credentials of its own: the SDK's default chain, which reads the environment first
    expect((await awsClientBaseConfig({ credentialsFile: file }, undefined, env)).credentials).toBeUndefined();
    // a profile named in the config: the file
    expect(await (await awsClientBaseConfig({ profile: "backup", credentialsFile: file }, undefined, env)).credentials?.()).toMatchObject({ accessKeyId: "AKIDBACKUP" });
    // no keys in the environment: the file
    expect(await (await awsClientBaseConfig({ credentialsFile: file }, undefined, {})).credentials?.()).toMatchObject({ accessKeyId: "AKIDFILE" });
    await rm(dir, { recursive: true, force: true });
  });
});

describe("configuredEndpoint", () => {
  it.each([
    { name: "service-specific variable wins", env: { AWS_ENDPOINT_URL_EC2: "http://127.0.0.1:1", AWS_ENDPOINT_URL: "http://127.0.0.1:2" }, expected: "http://127.0.0.1:1" },
    { name: "generic variable", env: { AWS_ENDPOINT_URL: "http://127.0.0.1:2" }, expected: "http://127.0.0.1:2" },
    { name: "none", env: {}, expected: undefined },
  ])("$name", ({ env, expected }) => {
    expect(configuredEndpoint("EC2", env)).toBe(expected);
  });
});
