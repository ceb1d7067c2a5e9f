/**
 * Assertions shared by the item-action conformance suites. Each failure names the call that broke
 * the rule and the sample item it was made for, so an author sees which input to look at.
 */
import { afterAll, beforeAll, describe, expect } from "vitest";
import type { UnstructuredItem } from "../api/v1/types.js";
import { getErrorMessage } from "../contract/errors.js";
import { parseLabelSelector, type LabelMatcher } from "../contract/labels.js";
import { resourceSelectorOf, type OperationProgress, type ResourceIdentifier, type ResourceSelectorInit } from "../contract/plugins.js";
import { parseLosslessJson, stringifyLosslessJson } from "../transport/json.js";

/** `kind namespace/name` of a sample item, for messages. */
export function itemLabel(item: UnstructuredItem): string {
  const { namespace, name } = item.metadata;
  return `${item.kind} ${namespace ? `${namespace}/` : ""}${name}`;
}

/** Awaits one call of the action under test; a rejection becomes an error that names the call. */
export async function attempt<T>(call: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new Error(`${call} rejected: ${getErrorMessage(error)}`, { cause: error });
  }
}

export function expectSamples(items: readonly UnstructuredItem[]): void {
  expect(items.length, "the conformance target needs at least one sample item").toBeGreaterThan(0);
}

/**
 * A well-formed ResourceSelector: string arrays, and a label selector string the host can parse
 * (a malformed one fails every backup or restore the action is installed for, on both hosts).
 * With `samples`, each sample item must also match that label selector: the host would never
 * call the action for one that does not, so the suite would test nothing real.
 */
export function expectSelector(init: ResourceSelectorInit, call = "appliesTo()", samples: readonly UnstructuredItem[] = []): void {
  expect(init, `${call} must resolve to a ResourceSelector`).toBeTypeOf("object");
  const lists = ["includedNamespaces", "excludedNamespaces", "includedResources", "excludedResources"] as const;
  for (const field of lists) {
    const list: unknown = init[field];
    if (list === undefined) continue;
    expect(Array.isArray(list), `${call}.${field} must be an array of strings, or absent (empty or absent means all)`).toBe(true);
    for (const entry of list as unknown[]) expect(entry, `${call}.${field} must hold only strings`).toBeTypeOf("string");
  }
  if (init.selector !== undefined) expect(init.selector, `${call}.selector must be a label selector string ("" or absent for none)`).toBeTypeOf("string");
  const selector = resourceSelectorOf(init);
  let matcher: LabelMatcher;
  try {
    matcher = parseLabelSelector(selector.selector);
  } catch (error) {
    expect.fail(`${call}.selector is not a valid label selector (hosts fail every backup and restore with it): ${getErrorMessage(error)}`);
  }
  for (const item of samples) {
    expect(matcher.matches(item.metadata.labels), `sample item ${itemLabel(item)} does not match ${call}.selector "${selector.selector}": a host would never pass it to the action`).toBe(true);
  }
}

export function expectIdentifiers(ids: ResourceIdentifier[] | undefined, call: string, options: { optional?: boolean } = {}): void {
  if (ids === undefined && options.optional) return; // an output field left out: none
  expect(Array.isArray(ids), `${call} must be an array of resource identifiers${options.optional ? ", or absent for none" : ""}`).toBe(true);
  (ids as ResourceIdentifier[]).forEach((id, i) => {
    const at = `${call}[${i}]`;
    expect(id.group, `${at}.group must be a string ("" for the core group)`).toBeTypeOf("string");
    expect(id.group, `${at}.group must be an API group without a version ("" for the core group, "apps", not "v1" or "apps/v1")`).not.toMatch(/^v\d+((alpha|beta)\d+)?$|\//);
    expect(id.resource, `${at}.resource must be the plural, lowercase resource name (e.g. "persistentvolumeclaims")`).toMatch(/^[a-z0-9]+$/);
    expect(id.namespace, `${at}.namespace must be a string ("" for a cluster-scoped resource)`).toBeTypeOf("string");
    expect(id.name, `${at}.name must be a non-empty string`).toBeTypeOf("string");
    expect(id.name, `${at}.name must be a non-empty string`).not.toBe("");
  });
}

/** The item must survive the trip through JSON unchanged (no Dates, functions, undefined values, cycles). */
export function expectJsonItem(item: UnstructuredItem, call: string): void {
  expect(item, `${call} must always return the item (the Velero host decodes it unconditionally)`).toBeTruthy();
  expect(item.apiVersion, `${call}: item.apiVersion must be a string`).toBeTypeOf("string");
  expect(item.kind, `${call}: item.kind must be a string`).toBeTypeOf("string");
  expect(item.metadata?.name, `${call}: item.metadata.name must be a string`).toBeTypeOf("string");
  expect(parseLosslessJson(stringifyLosslessJson(item)), `${call}: the item must be plain JSON (no Dates, functions or undefined values)`).toEqual(item);
}

export function expectOperationProgress(progress: OperationProgress, call: string): void {
  expect(progress, `${call} must resolve to an OperationProgress`).toBeTypeOf("object");
  expect(progress, `${call} must resolve to an OperationProgress`).not.toBeNull();
  expect(progress.completed, `${call}: completed must be a boolean`).toBeTypeOf("boolean");
  for (const field of ["err", "operationUnits", "description"] as const) {
    expect(progress[field], `${call}: ${field} must be a string ("" when there is nothing to say)`).toBeTypeOf("string");
  }
  for (const field of ["nCompleted", "nTotal"] as const) {
    expect(progress[field], `${call}: ${field} must be a number`).toBeTypeOf("number");
    expect(Number.isFinite(progress[field]), `${call}: ${field} must be a finite number`).toBe(true);
  }
  for (const field of ["started", "updated"] as const) {
    const value: unknown = progress[field];
    if (value === undefined) continue;
    expect(value instanceof Date && !Number.isNaN(value.getTime()), `${call}: ${field} must be a valid Date when present`).toBe(true);
  }
}

export function expectBoolean(value: unknown, what: string): void {
  expect(value, `${what} must be a boolean`).toBeTypeOf("boolean");
}

/** An optional boolean field of an output: a boolean, or absent (false). */
export function expectOptionalBoolean(value: unknown, what: string): void {
  if (value !== undefined) expect(value, `${what} must be a boolean, or absent for false`).toBeTypeOf("boolean");
}

/** The operation ID of an execute output: "" or absent (none started), or the ID to track. */
export function expectOperationId(operationId: unknown, call: string): string {
  if (operationId === undefined) return "";
  expect(operationId, `${call}.operationId must be a string ("" or absent when no operation was started)`).toBeTypeOf("string");
  return operationId as string;
}

/**
 * A suite over one target made once by `factory` (beforeAll) and cleaned up once (afterAll);
 * `tests` registers the tests, reading the target through `get`.
 */
export function describeTargetSuite<T extends { cleanup?: () => Promise<void> }>(title: string, factory: () => Promise<T>, tests: (get: () => T) => void): void {
  describe(title, () => {
    let target: T | undefined;
    const get = (): T => {
      if (!target) throw new Error("the conformance factory did not return a target");
      return target;
    };
    beforeAll(async () => {
      target = await factory();
    });
    afterAll(async () => {
      await target?.cleanup?.();
    });
    tests(get);
  });
}
