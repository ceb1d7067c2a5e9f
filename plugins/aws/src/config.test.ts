import { describe, expect, it } from "vitest";
import { isVeleroError, ValidationError } from "@velero-ts/plugin-sdk";
import {
  checkTagging,
  OBJECT_STORE_CONFIG_KEYS,
  parseObjectStoreConfig,
  parseVolumeSnapshotterConfig,
  VOLUME_SNAPSHOTTER_CONFIG_KEYS,
} from "./config.js";

const NO_ENV = {};

describe("parseObjectStoreConfig", () => {
  it("accepts every key velero-plugin-for-aws accepts plus the host's bucket, prefix and caCert", () => {
    const config = Object.fromEntries(Object.values(OBJECT_STORE_CONFIG_KEYS).map((key) => [key, ""]));
    Object.assign(config, { bucket: "b", prefix: "p", caCert: "PEM", s3ForcePathStyle: "true", tagging: "a=b" });
    expect(() => parseObjectStoreConfig(config, NO_ENV)).not.toThrow();
  });

  it("rejects unknown keys at Init and lists the valid ones", () => {
    let thrown: unknown;
    try {
      parseObjectStoreConfig({ bucket: "b", region: "us-east-1", s3URL: "http://x", endpoint: "y" }, NO_ENV);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    const message = (thrown as Error).message;
    expect(message).toContain("invalid keys [endpoint s3URL]");
    for (const key of [...Object.values(OBJECT_STORE_CONFIG_KEYS), "bucket", "prefix", "caCert"]) expect(message).toContain(key);
    expect((thrown as ValidationError).issues.map((issue) => issue.path)).toEqual(["config.endpoint", "config.s3URL"]);
  });

  it("maps the wire keys to settings", () => {
    const settings = parseObjectStoreConfig(
      {
        bucket: "velero",
        prefix: "cluster-a",
        region: "eu-west-1",
        s3Url: "http://127.0.0.1:9000",
        publicUrl: "https://minio.example.com",
        s3ForcePathStyle: "true",
        insecureSkipTLSVerify: "1",
        caCert: "-----BEGIN CERTIFICATE-----",
        kmsKeyId: "alias/velero",
        serverSideEncryption: "AES256",
        profile: "secondary",
        credentialsFile: "/tmp/creds",
        tagging: "team=infra&env=prod",
        checksumAlgorithm: "SHA256",
        signatureVersion: "4",
        enableSharedConfig: "true",
      },
      NO_ENV,
    );
    expect(settings).toEqual({
      bucket: "velero",
      prefix: "cluster-a",
      region: "eu-west-1",
      s3Url: "http://127.0.0.1:9000",
      publicUrl: "https://minio.example.com",
      forcePathStyle: true,
      insecureSkipTLSVerify: true,
      caCert: "-----BEGIN CERTIFICATE-----",
      kmsKeyId: "alias/velero",
      serverSideEncryption: "AES256",
      profile: "secondary",
      credentialsFile: "/tmp/creds",
      tagging: "team=infra&env=prod",
      checksumAlgorithm: "SHA256",
      signatureVersion: "4",
    });
  });

  it.each([
    { name: "absent checksumAlgorithm defaults to CRC32", config: {}, expected: "CRC32" },
    { name: "empty checksumAlgorithm disables checksums", config: { checksumAlgorithm: "" }, expected: "" },
    { name: "CRC32C is accepted", config: { checksumAlgorithm: "CRC32C" }, expected: "CRC32C" },
    { name: "CRC64NVME is accepted (the Go plugin's SDK knows it)", config: { checksumAlgorithm: "CRC64NVME" }, expected: "CRC64NVME" },
  ] as { name: string; config: Record<string, string>; expected: string }[])("$name", ({ config, expected }) => {
    expect(parseObjectStoreConfig({ bucket: "b", ...config }, NO_ENV).checksumAlgorithm).toBe(expected);
  });

  it.each([
    { name: "non-bool s3ForcePathStyle", config: { s3ForcePathStyle: "yes" }, error: /s3ForcePathStyle: could not parse "yes"/ },
    { name: "non-bool insecureSkipTLSVerify", config: { insecureSkipTLSVerify: "maybe" }, error: /insecureSkipTLSVerify/ },
    { name: "s3Url without scheme", config: { s3Url: "minio:9000" }, error: /s3Url: invalid URL "minio:9000"/ },
    { name: "publicUrl with ftp scheme", config: { publicUrl: "ftp://x" }, error: /publicUrl: invalid URL/ },
    // (a URL that does not parse is quoted with its password redacted: the message reaches logs and the location's status)
    { name: "s3Url that does not parse, with a password", config: { s3Url: "http://me:s3cr3t@127.0.0.1:notaport" }, error: /s3Url: invalid URL "http:\/\/me:xxxxx@127\.0\.0\.1:notaport"/ },
    { name: "unknown checksum", config: { checksumAlgorithm: "MD4" }, error: /invalid checksum algorithm "MD4"/ },
    {
      name: "two SSE methods",
      config: { kmsKeyId: "k", customerKeyEncryptionFile: "/f" },
      error: /use only one of kmsKeyId, customerKeyEncryptionFile or customerKeyEncryptionSecret/,
    },
    { name: "malformed SSE-C secret ref", config: { customerKeyEncryptionSecret: "just-a-name" }, error: /secretName\/key/ },
    { name: "tag without value", config: { tagging: "a=b&c" }, error: /tagging: "c" is not key=value/ },
  ] as { name: string; config: Record<string, string>; error: RegExp }[])("rejects $name", ({ config, error }) => {
    expect(() => parseObjectStoreConfig({ bucket: "b", ...config }, NO_ENV)).toThrow(error);
  });

  it("reports every invalid value at once as a ValidationError", () => {
    try {
      parseObjectStoreConfig({ bucket: "b", s3ForcePathStyle: "x", s3Url: "nope" }, NO_ENV);
      expect.unreachable();
    } catch (error) {
      expect(isVeleroError(error)).toBe(true);
      expect((error as ValidationError).issues.map((issue) => issue.path)).toEqual(["config.s3ForcePathStyle", "config.s3Url"]);
    }
  });

  it("takes the credentials file from AWS_SHARED_CREDENTIALS_FILE when the config has none", () => {
    const env = { AWS_SHARED_CREDENTIALS_FILE: "/credentials/cloud" };
    expect(parseObjectStoreConfig({ bucket: "b" }, env).credentialsFile).toBe("/credentials/cloud");
    expect(parseObjectStoreConfig({ bucket: "b", credentialsFile: "/tmp/bsl" }, env).credentialsFile).toBe("/tmp/bsl");
    expect(parseObjectStoreConfig({ bucket: "b" }, NO_ENV).credentialsFile).toBeUndefined();
  });
});

describe("parseVolumeSnapshotterConfig", () => {
  it("accepts exactly the Go plugin's VSL keys", () => {
    const config = { region: "us-east-1", profile: "p", credentialsFile: "/c", enableSharedConfig: "true", ebsKmsKeyId: "k" };
    expect(Object.keys(config).sort()).toEqual(Object.values(VOLUME_SNAPSHOTTER_CONFIG_KEYS).sort());
    expect(parseVolumeSnapshotterConfig(config, NO_ENV)).toEqual({
      region: "us-east-1",
      profile: "p",
      credentialsFile: "/c",
      ebsKmsKeyId: "k",
    });
  });

  it("rejects object-store keys such as bucket", () => {
    expect(() => parseVolumeSnapshotterConfig({ region: "us-east-1", bucket: "b" }, NO_ENV)).toThrow(
      /invalid keys \[bucket\]; valid keys are \[region profile credentialsFile enableSharedConfig ebsKmsKeyId\]/,
    );
  });

  it("requires region", () => {
    expect(() => parseVolumeSnapshotterConfig({ profile: "p" }, NO_ENV)).toThrow(/missing region/);
  });
});

describe("checkTagging", () => {
  it.each([
    { name: "one tag", tagging: "a=b", ok: true },
    { name: "ten tags", tagging: Array.from({ length: 10 }, (_, i) => `k${i}=v`).join("&"), ok: true },
    { name: "eleven tags", tagging: Array.from({ length: 11 }, (_, i) => `k${i}=v`).join("&"), ok: false },
    { name: "empty key", tagging: "=v", ok: false },
    { name: "two equals signs", tagging: "a=b=c", ok: false },
    { name: "129-character key", tagging: `${"k".repeat(129)}=v`, ok: false },
    { name: "256-character value", tagging: `k=${"v".repeat(256)}`, ok: true },
    { name: "257-character value", tagging: `k=${"v".repeat(257)}`, ok: false },
  ])("$name", ({ tagging, ok }) => {
    expect(checkTagging(tagging) === undefined).toBe(ok);
  });
});
