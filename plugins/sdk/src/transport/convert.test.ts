import { describe, expect, it } from "vitest";
import { GO_ZERO_TIMESTAMP, progressFromProto, progressToProto } from "./convert.js";

const progress = { completed: false, err: "", nCompleted: 1, nTotal: 2, operationUnits: "items", description: "copying" };

describe("OperationProgress times on the wire", () => {
  it("sends unset started/updated as Go's zero time, which Velero takes as unset (a null Timestamp would become 1970-01-01 there)", () => {
    const wire = progressToProto(progress);
    expect(wire.started).toEqual({ seconds: -62135596800, nanos: 0 });
    expect(wire.updated).toEqual(GO_ZERO_TIMESTAMP);
    expect(progressToProto({ ...progress, started: new Date("2024-01-02T03:04:05.250Z") }).started).toEqual({ seconds: 1704164645, nanos: 250_000_000 });
  });

  it("reads Go's zero time (what a Go plugin sends for an unset time) and a missing Timestamp as unset", () => {
    const fromGo = progressFromProto({ ...progressToProto(progress), started: { seconds: -62135596800, nanos: 0 }, updated: null });
    expect(fromGo).toEqual(progress);
    expect(fromGo).not.toHaveProperty("started");
    expect(progressFromProto(progressToProto({ ...progress, updated: new Date("2024-01-02T03:04:06Z") })).updated).toEqual(new Date("2024-01-02T03:04:06Z"));
  });
});
