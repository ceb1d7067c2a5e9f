import { describe, expect, it } from "vitest";
import { ValidationError } from "./errors.js";
import { validateObjectStoreConfigKeys, validateVolumeSnapshotterConfigKeys } from "./config-keys.js";

describe("config key checks (Go's framework.Validate*ConfigKeys)", () => {
  it("allows an object store the keys every host adds, and the listed ones", () => {
    expect(() => validateObjectStoreConfigKeys({ bucket: "b", prefix: "", caCert: "PEM", root: "/data" }, "root")).not.toThrow();
  });

  it("names the invalid keys, sorted, and the valid ones, in Go's words", () => {
    let error: unknown;
    try {
      validateObjectStoreConfigKeys({ root: "/d", zone: "z", bucket: "b", credentialsFile: "/c" }, "root");
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toBe("config has invalid keys [credentialsFile zone]; valid keys are [root bucket prefix caCert]");
  });

  it("allows a volume snapshotter nothing it does not list", () => {
    expect(() => validateVolumeSnapshotterConfigKeys({ region: "r" }, "region", "credentialsFile")).not.toThrow();
    expect(() => validateVolumeSnapshotterConfigKeys({ bucket: "b" }, "region")).toThrow("config has invalid keys [bucket]; valid keys are [region]");
  });
});
