// Proto <-> contract conversions shared by the client and server adapters. No logic beyond mapping.
import type { ResourceIdentifier as ProtoResourceIdentifier } from "@velero-ts/proto/generated/generated/ResourceIdentifier";
import type { ResourceSelector as ProtoResourceSelector } from "@velero-ts/proto/generated/generated/ResourceSelector";
import type { OperationProgress as ProtoOperationProgress } from "@velero-ts/proto/generated/generated/OperationProgress";
import type { Timestamp } from "@velero-ts/proto/generated/google/protobuf/Timestamp";
import type { Duration } from "@velero-ts/proto/generated/google/protobuf/Duration";
import { resourceSelectorOf, type OperationProgress, type ResourceIdentifier, type ResourceSelector, type ResourceSelectorInit } from "../contract/plugins.js";

export function selectorToProto(init: ResourceSelectorInit): ProtoResourceSelector {
  const s = resourceSelectorOf(init);
  return {
    includedNamespaces: s.includedNamespaces,
    excludedNamespaces: s.excludedNamespaces,
    includedResources: s.includedResources,
    excludedResources: s.excludedResources,
    selector: s.selector,
  };
}

/** A missing selector means "applies to everything". */
export function selectorFromProto(s: ProtoResourceSelector | null | undefined): ResourceSelector {
  return resourceSelectorOf(s ?? undefined);
}

export function identifiersToProto(ids: readonly ResourceIdentifier[] | undefined): ProtoResourceIdentifier[] {
  return (ids ?? []).map((id) => ({ group: id.group, resource: id.resource, namespace: id.namespace, name: id.name }));
}

export function identifiersFromProto(ids: readonly ProtoResourceIdentifier[] | undefined): ResourceIdentifier[] {
  return (ids ?? []).map((id) => ({
    group: id.group ?? "",
    resource: id.resource ?? "",
    namespace: id.namespace ?? "",
    name: id.name ?? "",
  }));
}

/**
 * Go's zero time.Time as a protobuf Timestamp (0001-01-01T00:00:00Z): what a Go plugin sends for
 * an unset time, and what Velero's host takes as unset (IsZero). A null Timestamp would become
 * 1970-01-01 there (AsTime of nil), so unset times are sent as this.
 */
export const GO_ZERO_TIMESTAMP: Readonly<Timestamp> = Object.freeze({ seconds: -62135596800, nanos: 0 });

function isGoZeroTimestamp(t: Timestamp): boolean {
  return Number(t.seconds ?? 0) === GO_ZERO_TIMESTAMP.seconds && (t.nanos ?? 0) === 0;
}

export function progressToProto(p: OperationProgress): ProtoOperationProgress {
  return {
    completed: p.completed,
    err: p.err,
    nCompleted: p.nCompleted,
    nTotal: p.nTotal,
    operationUnits: p.operationUnits,
    description: p.description,
    started: p.started ? dateToTimestamp(p.started) : { ...GO_ZERO_TIMESTAMP },
    updated: p.updated ? dateToTimestamp(p.updated) : { ...GO_ZERO_TIMESTAMP },
  };
}

export function progressFromProto(p: ProtoOperationProgress | null | undefined): OperationProgress {
  const out: OperationProgress = {
    completed: p?.completed ?? false,
    err: p?.err ?? "",
    nCompleted: Number(p?.nCompleted ?? 0),
    nTotal: Number(p?.nTotal ?? 0),
    operationUnits: p?.operationUnits ?? "",
    description: p?.description ?? "",
  };
  if (p?.started && !isGoZeroTimestamp(p.started)) out.started = timestampToDate(p.started);
  if (p?.updated && !isGoZeroTimestamp(p.updated)) out.updated = timestampToDate(p.updated);
  return out;
}

export function dateToTimestamp(d: Date): Timestamp {
  const ms = d.getTime();
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
}

export function timestampToDate(t: Timestamp): Date {
  return new Date(Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1_000_000));
}

export function msToDuration(ms: number): Duration | null {
  if (!ms) return null;
  const seconds = Math.trunc(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1_000_000) };
}

export function durationToMs(d: Duration | null | undefined): number {
  if (!d) return 0;
  return Number(d.seconds ?? 0) * 1000 + (d.nanos ?? 0) / 1_000_000;
}

/** Go time.Duration nanoseconds (CreateSignedURL.ttl) <-> milliseconds. */
export const NANOS_PER_MS = 1_000_000;
