/**
 * Velero's CustomResourceDefinitions (plugins/sdk/crd/*.yaml, the compatibility contract) and
 * their installation: server-side apply, then wait until every CRD is Established.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { getAsset, isSea } from "node:sea";
import { parseAllDocuments } from "../shared/yaml.js";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import type { KubeClient } from "./client.js";
import { GVR } from "./gvr.js";

/** Where the CRD YAML lives: $VELERO_CRD_DIR, else the plugin SDK package's crd/ folder. */
export function crdDirectory(): string {
  if (process.env.VELERO_CRD_DIR) return process.env.VELERO_CRD_DIR;
  const sdkEntry = createRequire(import.meta.url).resolve("@velero-ts/plugin-sdk");
  return join(dirname(sdkEntry), "..", "crd");
}

/**
 * The single executable's embedded copy of the CRD manifests (scripts/build-plugins.ts puts them
 * there under this key), so `dist/bin/velero install` needs no source tree beside it.
 */
export const CRD_ASSET = "velero-crds.yaml";

/**
 * Every Velero CRD as an object, sorted by name: from `dir`, else $VELERO_CRD_DIR, else the
 * executable's embedded copy (a single executable), else the plugin SDK package's crd/ folder.
 */
export function loadVeleroCrds(dir?: string): UnstructuredItem[] {
  const texts = dir === undefined && !process.env.VELERO_CRD_DIR && isSea() ? [getAsset(CRD_ASSET, "utf8")] : yamlFiles(dir ?? crdDirectory());
  const out: UnstructuredItem[] = [];
  for (const text of texts) {
    for (const doc of parseAllDocuments(text)) {
      const value = doc.toJS() as UnstructuredItem | null;
      if (value && value.kind === "CustomResourceDefinition") out.push(value);
    }
  }
  return out.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => readFileSync(join(dir, f), "utf8"));
}

export interface InstallCrdsOptions {
  timeoutMs?: number;
  /** Poll interval while waiting for Established. */
  pollMs?: number;
  crds?: UnstructuredItem[];
}

/** Applies the CRDs and resolves once the API server reports each one Established. */
export async function installCrds(client: KubeClient, options: InstallCrdsOptions = {}): Promise<string[]> {
  const crds = options.crds ?? loadVeleroCrds();
  await Promise.all(crds.map((crd) => client.apply(GVR.customResourceDefinitions, crd, { fieldManager: "velero-ts", force: true })));
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const pending = new Set(crds.map((c) => c.metadata.name));
  while (pending.size > 0) {
    for (const name of [...pending]) {
      const current = await client.get(GVR.customResourceDefinitions, name);
      if (isEstablished(current)) pending.delete(name);
    }
    if (pending.size === 0) break;
    if (Date.now() > deadline) {
      throw new Error(`CRDs not established after ${options.timeoutMs ?? 60_000}ms: ${[...pending].join(", ")}; check the API server log`);
    }
    await new Promise((r) => setTimeout(r, options.pollMs ?? 100));
  }
  client.invalidateDiscovery();
  return crds.map((c) => c.metadata.name);
}

function isEstablished(crd: UnstructuredItem | undefined): boolean {
  const conditions = (crd?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
  return conditions.some((c) => c.type === "Established" && c.status === "True");
}
