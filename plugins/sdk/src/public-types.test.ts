// A plugin author's project type-checks against the SDK's emitted declarations (dist/, as
// published) with skipLibCheck off: every .d.ts the SDK pulls in must be complete, and none may
// need a package the author would have to add (the @kubernetes/client-node types once needed
// @types/ws: TS7016 for module "ws").
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
// Never written to disk: served to the compiler from memory, at a path that resolves the SDK as a
// consumer's node_modules would.
const CONSUMER = join(ROOT, "sdk-consumer-check.mts");

const SOURCE = `
import { serve, type Backup, type BackupItemAction, type LabelSelector, type ObjectMeta, type RestoreItemAction, type UnstructuredItem } from "@velero-ts/plugin-sdk";
import {
  describeBackupItemActionConformance,
  describeDeleteItemActionConformance,
  describeItemBlockActionConformance,
  startTestPluginServer,
  type PluginProtocol,
} from "@velero-ts/plugin-sdk/testing";

const meta: ObjectMeta = { name: "web", namespace: "app", creationTimestamp: "2026-01-01T00:00:00Z", labels: { app: "web" } };
const selector: LabelSelector = { matchExpressions: [{ key: "app", operator: "In", values: ["web"] }] };
const backup: Backup = { metadata: { name: "b1", namespace: "velero" }, spec: { labelSelector: selector } };
const item: UnstructuredItem = { apiVersion: "v1", kind: "Pod", metadata: { ...meta, name: "web" } };
const action: BackupItemAction = {
  appliesTo: async () => ({ includedNamespaces: [], excludedNamespaces: [], includedResources: ["pods"], excludedResources: [], selector: "" }),
  execute: async (input) => ({ item: input, additionalItems: [] }),
};
// What authors write without ceremony: fields left out of a selector or an output mean what Go's
// zero values mean, and the Backup or Restore handed to an action has a name.
const terse: BackupItemAction = {
  appliesTo: async () => ({ includedResources: ["pods"] }),
  execute: async (input, b) => {
    const name: string = b.metadata.name;
    return { item: { ...input, metadata: { ...input.metadata, labels: { backup: name } } } };
  },
};
const terseRestore: RestoreItemAction = {
  appliesTo: async () => ({ selector: "app=web" }),
  execute: async ({ item: restored, restore }) => ({ item: { ...restored, metadata: { ...restored.metadata, labels: { restore: restore.metadata.name } } } }),
};
void terse;
void terseRestore;
const protocol: PluginProtocol = "grpc";
const builder = serve().registerBackupItemAction("example.io/label", () => action);
describeBackupItemActionConformance("label", async () => {
  const plugin = await startTestPluginServer(builder, { protocol });
  return { action: plugin.backupItemAction("example.io/label"), backup, items: [item], cleanup: () => plugin.close() };
});
describeDeleteItemActionConformance("none", async () => ({ action: { appliesTo: action.appliesTo, execute: async () => {} }, backup, items: [item] }));
describeItemBlockActionConformance("none", async () => ({ action: { appliesTo: action.appliesTo, getRelatedItems: async () => [] }, backup, items: [item] }));
`;

function typeCheckConsumer(): { diagnostics: string[]; files: string[] } {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2023,
    lib: ["lib.es2023.d.ts"],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    skipLibCheck: false,
    noEmit: true,
    types: ["node"],
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (file) => file === CONSUMER || fileExists.call(host, file);
  host.readFile = (file) => (file === CONSUMER ? SOURCE : readFile.call(host, file));
  host.getSourceFile = (file, language, ...rest) =>
    file === CONSUMER ? ts.createSourceFile(file, SOURCE, language, true) : getSourceFile.call(host, file, language, ...rest);
  const program = ts.createProgram([CONSUMER], options, host);
  const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file ? `${d.file.fileName}(${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}): ` : "";
    return `${where}TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
  });
  return { diagnostics, files: program.getSourceFiles().map((f) => f.fileName) };
}

describe("the SDK's published types", () => {
  it("type-check in a consumer project with skipLibCheck false and no Kubernetes client types", () => {
    const { diagnostics, files } = typeCheckConsumer();
    expect(diagnostics).toEqual([]);
    expect(files.some((f) => f.includes(join("plugin-sdk", "dist", "testing", "index.d.ts")) || f.includes(join("sdk", "dist", "testing", "index.d.ts")))).toBe(true);
    expect(files.filter((f) => f.includes("@kubernetes/client-node"))).toEqual([]);
  });
});
