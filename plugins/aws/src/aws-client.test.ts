import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { awsClientBaseConfig, configuredEndpoint } from "./aws-client.js";

const PEM = "-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n";

describe("awsClientBaseConfig", () => {
  it("uses the default HTTPS agent when TLS is not customised", async () => {
    const config = await awsClientBaseConfig({}, { insecureSkipTLSVerify: false });
    expect(config.requestHandler.httpsAgent).toBeUndefined();
    expect(config.credentials).toBeUndefined();
  });

  it("skips certificate verification only when insecureSkipTLSVerify is set", async () => {
    const config = await awsClientBaseConfig({}, { insecureSkipTLSVerify: true });
    expect(config.requestHandler.httpsAgent?.options.rejectUnauthorized).toBe(false);
  });

  it("trusts caCert in addition to the system roots", async () => {
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
