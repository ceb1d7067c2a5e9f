import { describe, expect, it } from "vitest";
import { NotFoundError, ValidationError } from "../contract/errors.js";
import type { ObjectStore } from "../contract/plugins.js";
import { createNoopPluginLogger, type PluginLogger } from "../logger.js";
import { InMemoryObjectStore } from "../testing/in-memory-object-store.js";
import { PluginRegistry } from "./registry.js";

/** A plugin logger recording the messages of its error lines. */
function recordingLogger(errors: string[]): PluginLogger {
  const logger: PluginLogger = {
    ...createNoopPluginLogger(),
    error: (obj: object | string, msg?: string) => void errors.push(typeof obj === "string" ? obj : (msg ?? "")),
    child: () => logger,
  };
  return logger;
}

describe("PluginRegistry", () => {
  it.each([
    { name: "velero.io/aws", valid: true },
    { name: "example.io/my-action", valid: true },
    { name: "a/b", valid: true },
    { name: "sub.domain.example.com/Name_With.Anything", valid: true },
    { name: "aws", valid: false },
    { name: "a/b/c", valid: false },
    { name: "/name", valid: false },
    { name: "example.io/", valid: false },
    { name: "Example.io/x", valid: false },
    { name: "exa_mple.io/x", valid: false },
    { name: "-example.io/x", valid: false },
    { name: `${"a".repeat(254)}/x`, valid: false },
    { name: "", valid: false },
  ])("validates the name $name (valid: $valid): an invalid one is logged and not served, as in Velero's Go framework", ({ name, valid }) => {
    const errors: string[] = [];
    const registry = new PluginRegistry(recordingLogger(errors));
    expect(registry.register("ObjectStore", name, () => new InMemoryObjectStore())).toBe(valid);
    expect(registry.list()).toEqual(valid ? [{ kind: "ObjectStore", name }] : []);
    expect(errors).toHaveLength(valid ? 0 : 1);
    if (!valid) {
      expect(errors[0]?.startsWith(`invalid plugin name ${JSON.stringify(name)}: `)).toBe(true);
      expect(errors[0]?.endsWith("; this ObjectStore is not served")).toBe(true);
    }
  });

  it("warns about a name Velero's own binary serves (a Velero server would refuse to start), v1 or v2, and serves it; not for its built-ins' own server", () => {
    const warnings: string[] = [];
    const logger: PluginLogger = { ...createNoopPluginLogger(), warn: (_o: object | string, msg?: string) => void warnings.push(msg ?? ""), child: () => logger };
    const registry = new PluginRegistry(logger);
    expect(registry.register("RestoreItemAction", "velero.io/pod", () => ({}) as never)).toBe(true);
    expect(registry.register("BackupItemActionV2", "velero.io/pv", () => ({}) as never)).toBe(true);
    expect(registry.register("ObjectStore", "velero.io/aws", () => new InMemoryObjectStore())).toBe(true);
    expect(registry.register("RestoreItemAction", "example.io/pod", () => ({}) as never)).toBe(true);
    expect(warnings).toEqual([
      `plugin name "velero.io/pod" is Velero's built-in RestoreItemAction of that name: a Velero server refuses to start with this binary in its plugin dir, and velero-ts leaves the binary out; name it under your own domain (example.io/...)`,
      `plugin name "velero.io/pv" is Velero's built-in BackupItemAction of that name: a Velero server refuses to start with this binary in its plugin dir, and velero-ts leaves the binary out; name it under your own domain (example.io/...)`,
    ]);
    warnings.length = 0;
    new PluginRegistry(logger, { warnOnBuiltins: false }).register("RestoreItemAction", "velero.io/pod", () => ({}) as never);
    expect(warnings).toEqual([]);
  });

  it("leaves out a duplicate kind and name (logged), but allows the name under another kind", () => {
    const errors: string[] = [];
    const registry = new PluginRegistry(recordingLogger(errors));
    registry.register("ObjectStore", "velero.io/aws", () => new InMemoryObjectStore());
    expect(registry.register("ObjectStore", "velero.io/aws", () => new InMemoryObjectStore())).toBe(false);
    expect(errors).toEqual(['invalid plugin name "velero.io/aws": plugin name velero.io/aws already exists (a ObjectStore of this name is registered already); this ObjectStore is not served']);
    expect(registry.register("VolumeSnapshotter", "velero.io/aws", () => ({}) as never)).toBe(true);
    // the Go framework's order: VolumeSnapshotter before ObjectStore
    expect(registry.list()).toEqual([
      { kind: "VolumeSnapshotter", name: "velero.io/aws" },
      { kind: "ObjectStore", name: "velero.io/aws" },
    ]);
  });

  it("lists as Velero's Go plugin framework does: kinds in its order, names sorted within a kind, whatever the registration order", () => {
    const registry = new PluginRegistry(createNoopPluginLogger());
    const action = () => ({}) as never;
    registry.register("ItemBlockAction", "b.io/iba", action);
    registry.register("BackupItemAction", "z.io/last", action);
    registry.register("ObjectStore", "a.io/store", () => new InMemoryObjectStore());
    registry.register("BackupItemAction", "a.io/first", action);
    registry.register("RestoreItemAction", "m.io/ria", action);
    expect(registry.list().map((p) => `${p.kind} ${p.name}`)).toEqual([
      "BackupItemAction a.io/first",
      "BackupItemAction z.io/last",
      "ObjectStore a.io/store",
      "RestoreItemAction m.io/ria",
      "ItemBlockAction b.io/iba",
    ]);
  });

  it("creates an instance lazily, once, even under concurrent first requests", async () => {
    const registry = new PluginRegistry(createNoopPluginLogger());
    const created: string[] = [];
    registry.register("ObjectStore", "example.io/lazy", ({ name }) => {
      created.push(name);
      return new InMemoryObjectStore();
    });
    expect(created).toEqual([]);
    const [a, b] = await Promise.all([registry.get("ObjectStore", "example.io/lazy"), registry.get("ObjectStore", "example.io/lazy")]);
    expect(a).toBe(b);
    expect(await registry.get("ObjectStore", "example.io/lazy")).toBe(a);
    expect(created).toEqual(["example.io/lazy"]);
  });

  it("retries a factory that failed", async () => {
    const registry = new PluginRegistry(createNoopPluginLogger());
    let attempts = 0;
    registry.register("ObjectStore", "example.io/flaky", async (): Promise<ObjectStore> => {
      attempts++;
      if (attempts === 1) throw new Error("credentials not mounted yet");
      return new InMemoryObjectStore();
    });
    await expect(registry.get("ObjectStore", "example.io/flaky")).rejects.toThrow("credentials not mounted yet");
    await expect(registry.get("ObjectStore", "example.io/flaky")).resolves.toBeInstanceOf(InMemoryObjectStore);
    expect(attempts).toBe(2);
  });

  it("gives a view made withLogger the same registrations, its own instances and its own logger", async () => {
    const registry = new PluginRegistry(createNoopPluginLogger());
    const loggers: PluginLogger[] = [];
    registry.register("ObjectStore", "example.io/a", ({ logger }) => {
      loggers.push(logger);
      return new InMemoryObjectStore();
    });
    const quiet = createNoopPluginLogger();
    const view = registry.withLogger(quiet);
    registry.register("ObjectStore", "example.io/later", () => new InMemoryObjectStore());
    expect(view.list()).toEqual(registry.list());
    const [own, viewed] = [await registry.get("ObjectStore", "example.io/a"), await view.get("ObjectStore", "example.io/a")];
    expect(viewed).not.toBe(own);
    expect(await view.get("ObjectStore", "example.io/a")).toBe(viewed);
    expect(loggers[1]).toBe(quiet); // the no-op logger's child is itself
  });

  it("reports an unknown name with Velero's message", async () => {
    const registry = new PluginRegistry(createNoopPluginLogger());
    const error = await registry.get("DeleteItemAction", "example.io/none").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toBe("DeleteItemAction plugin: example.io/none was not found or has an invalid name format");
  });
});
