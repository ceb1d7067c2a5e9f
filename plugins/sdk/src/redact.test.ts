import { describe, expect, it } from "vitest";
import { isCredentialField, redactCredentials, redactCredentialText } from "./redact.js";

describe("isCredentialField", () => {
  it.each(["password", "Password", "PASSWORD", "Authorization", "x-amz-security-token", "X_AMZ_SECURITY_TOKEN", "client_secret", "clientSecret", "sessionToken", "aws_session_token", "apiKey", "api-key", "customerKeyEncryptionFile"])(
    "%s is a credential",
    (name) => expect(isCredentialField(name)).toBe(true),
  );
  it.each(["key", "name", "bucket", "secretName", "credentialsFile", "kmsKeyId", "continueToken", "region"])("%s is not", (name) => expect(isCredentialField(name)).toBe(false));
});

describe("redactCredentialText", () => {
  it("returns the very string when there is nothing to redact", () => {
    const text = "backup b1 completed: 10 items, rpc error: code = Unavailable desc = x";
    expect(redactCredentialText(text)).toBe(text);
  });

  it("redacts URL passwords and presigned-URL signing parameters, keeping the rest", () => {
    expect(redactCredentialText("s3Url http://me:pw@127.0.0.1:9000/b is down")).toBe("s3Url http://me:xxxxx@127.0.0.1:9000/b is down");
    expect(redactCredentialText("GET https://h/b/k?X-Amz-Algorithm=AWS4&X-Amz-Credential=AKIA%2F1&X-Amz-Signature=abc&X-Amz-Security-Token=tok")).toBe(
      "GET https://h/b/k?X-Amz-Algorithm=AWS4&X-Amz-Credential=[redacted]&X-Amz-Signature=[redacted]&X-Amz-Security-Token=[redacted]",
    );
    expect(redactCredentialText("https://a.blob.core.windows.net/c/b?sv=2024-01-01&sp=r&sig=s3cr%2Bt")).toBe("https://a.blob.core.windows.net/c/b?sv=2024-01-01&sp=r&sig=[redacted]");
  });
});

describe("redactCredentials", () => {
  it("copies only what changes, at any depth, and keeps a top-level key (an object-store key) but not a nested one", () => {
    const untouched = { name: "b1", list: [1, "two", { ok: true }] };
    const input = { key: "backups/b1/b1.tar.gz", untouched, a: [{ b: { Token: "t", key: "-----BEGIN PRIVATE KEY-----" } }], when: new Date(0) };
    const out = redactCredentials(input);
    expect(out).toEqual({ key: "backups/b1/b1.tar.gz", untouched, a: [{ b: { Token: "[redacted]", key: "[redacted]" } }], when: new Date(0) });
    expect(out.untouched).toBe(untouched);
    expect(input.a[0]?.b.Token).toBe("t"); // the input is not changed
    expect(redactCredentials(untouched)).toBe(untouched);
  });
});
