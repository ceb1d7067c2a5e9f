import { describe, expect, it } from "vitest";
import { redactStorageSecrets, sanitizeStorageError } from "./storage-error.js";

describe("sanitizeStorageError (Velero's BSL status message cleanup)", () => {
  it("keeps an ordinary message as it is", () => {
    const m = 'BackupStorageLocation "default" is unavailable: rpc error: code = Unknown desc = bucket "b" does not exist (NoSuchBucket)';
    expect(sanitizeStorageError(m)).toBe(m);
  });

  it("redacts SAS token parameters of URLs, whatever the message", () => {
    expect(sanitizeStorageError("GET https://acct.blob.core.windows.net/c?sv=2022-11-02&sig=abc%2Fdef&se=2026-01-01 failed")).toBe(
      "GET https://acct.blob.core.windows.net/c?sv=***REDACTED***&sig=***REDACTED***&se=***REDACTED*** failed",
    );
  });

  it("redacts the password of a URL, as Go's url.Redacted writes it", () => {
    expect(sanitizeStorageError('failed to list objects (endpoint "http://probeuser:probepass@127.0.0.1:46085", region "us-east-1"): bucket "b" does not exist')).toBe(
      'failed to list objects (endpoint "http://probeuser:xxxxx@127.0.0.1:46085", region "us-east-1"): bucket "b" does not exist',
    );
    expect(sanitizeStorageError("https://user@host/path and http://host:9000/x?a=b stay as they are")).toBe("https://user@host/path and http://host:9000/x?a=b stay as they are");
  });

  it("cuts an Azure response dump down to its error code and message, keeping the gRPC prefix", () => {
    const dump = [
      'BackupStorageLocation "default" is unavailable: rpc error: code = Unknown desc = GET https://acct.blob.core.windows.net/velero?sig=s3cr3t',
      "--------------------------------------------------------------------------------",
      "RESPONSE 404: 404 The specified container does not exist.",
      "ERROR CODE: ContainerNotFound",
      "--------------------------------------------------------------------------------",
      '<?xml version="1.0" encoding="utf-8"?><Error><Code>ContainerNotFound</Code><Message>The specified container does not exist.</Message></Error>',
    ].join("\n");
    expect(sanitizeStorageError(dump)).toBe('BackupStorageLocation "default" is unavailable: rpc error: code = Unknown desc = ContainerNotFound: The specified container does not exist.');
  });

  it("takes the RESPONSE line when the XML message spans lines (as Go's regexp does)", () => {
    const dump = "rpc error: code = Unknown desc = oops\nRESPONSE 403: 403 Server failed to authenticate the request.\nERROR CODE: AuthenticationFailed\n<Message>Server failed\nRequestId:1</Message>";
    expect(sanitizeStorageError(dump)).toBe("rpc error: code = Unknown desc = AuthenticationFailed: Server failed to authenticate the request.");
  });
});

describe("redactStorageSecrets (the location controller's error log lines)", () => {
  it("redacts SAS signatures and URL passwords and changes nothing else", () => {
    const raw = 'rpc error: code = InvalidArgument desc = s3Url: invalid URL "http://me:s3cr3t@127.0.0.1:x" and GET https://a.blob.core.windows.net/c?sv=1&sig=abc\nRESPONSE 403: 403 Forbidden\nERROR CODE: AuthenticationFailed';
    expect(redactStorageSecrets(raw)).toBe(
      'rpc error: code = InvalidArgument desc = s3Url: invalid URL "http://me:xxxxx@127.0.0.1:x" and GET https://a.blob.core.windows.net/c?sv=***REDACTED***&sig=***REDACTED***\nRESPONSE 403: 403 Forbidden\nERROR CODE: AuthenticationFailed',
    );
  });
});
