import { describe, expect, it } from "vitest";
import { NoSuchBucket, NoSuchKey, NotFound } from "@aws-sdk/client-s3";
import { classifyAwsError, explainAwsError } from "./errors.js";
import { ec2Error, networkError, s3Error } from "./testing/fakes.js";

describe("classifyAwsError", () => {
  it.each([
    { name: "NoSuchKey", error: new NoSuchKey({ message: "m", $metadata: { httpStatusCode: 404 } }), kind: "not-found" },
    { name: "HEAD 404", error: new NotFound({ message: "m", $metadata: { httpStatusCode: 404 } }), kind: "not-found" },
    { name: "NoSuchBucket", error: new NoSuchBucket({ message: "m", $metadata: { httpStatusCode: 404 } }), kind: "no-such-bucket" },
    { name: "AccessDenied", error: s3Error("AccessDenied", 403), kind: "access-denied" },
    { name: "bare 403 (HEAD)", error: s3Error("Forbidden", 403), kind: "access-denied" },
    { name: "SignatureDoesNotMatch", error: s3Error("SignatureDoesNotMatch", 403), kind: "access-denied" },
    { name: "EC2 AuthFailure", error: ec2Error("AuthFailure", 401), kind: "access-denied" },
    { name: "PermanentRedirect", error: s3Error("PermanentRedirect", 301), kind: "wrong-region" },
    { name: "AuthorizationHeaderMalformed", error: s3Error("AuthorizationHeaderMalformed", 400), kind: "wrong-region" },
    { name: "ECONNREFUSED", error: networkError("ECONNREFUSED"), kind: "unreachable" },
    { name: "ENOTFOUND", error: networkError("ENOTFOUND"), kind: "unreachable" },
    { name: "SDK TimeoutError", error: Object.assign(new Error("timed out"), { name: "TimeoutError" }), kind: "unreachable" },
    { name: "wrapped socket error", error: new Error("fetch failed", { cause: networkError("ECONNRESET") }), kind: "unreachable" },
    { name: "missing credentials", error: Object.assign(new Error("Could not load credentials"), { name: "CredentialsProviderError" }), kind: "no-credentials" },
    { name: "EC2 snapshot not found", error: ec2Error("InvalidSnapshot.NotFound", 400), kind: "not-found" },
    { name: "500", error: s3Error("InternalError", 500), kind: "other" },
    { name: "a string", error: "boom", kind: "other" },
  ])("$name → $kind", ({ error, kind }) => {
    expect(classifyAwsError(error).kind).toBe(kind);
  });

  it("reads the bucket's region from a redirect", () => {
    const error = Object.assign(s3Error("PermanentRedirect", 301), { $response: { headers: { "X-Amz-Bucket-Region": "ap-south-1" } } });
    expect(classifyAwsError(error)).toEqual({ kind: "wrong-region", code: "PermanentRedirect", bucketRegion: "ap-south-1" });
  });
});

describe("explainAwsError", () => {
  it("names the default AWS endpoint by service and region", () => {
    expect(explainAwsError(networkError("ENOTFOUND"), { service: "S3", region: "eu-west-1", bucket: "b" })).toBe(
      'endpoint of AWS S3 in region "eu-west-1" is unreachable (ENOTFOUND): connect ENOTFOUND 127.0.0.1:1; check s3Url, the network and TLS settings',
    );
  });

  it("falls back to the code when the SDK has no message (HEAD responses)", () => {
    expect(explainAwsError(s3Error("InternalError", 500, "UnknownError"), { service: "S3", region: "r" })).toBe("InternalError (InternalError)");
  });
});
