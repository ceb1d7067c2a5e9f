// The committed CRD YAML in plugins/sdk/crd/ must be exactly what crd/generate.ts renders.
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CRDS, renderCrds, undescribedPaths } from "../crd/generate.ts";

const CRD_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "crd");

describe("CRD manifests", () => {
  it("are up to date with crd/generate.ts (run `node plugins/sdk/crd/generate.ts` when this fails)", () => {
    const rendered = renderCrds();
    const committed = readdirSync(CRD_DIR).filter((f) => f.endsWith(".yaml")).sort();
    expect(committed).toEqual([...rendered.keys()].sort());
    for (const [file, text] of rendered) expect(readFileSync(join(CRD_DIR, file), "utf8"), file).toBe(text);
  });

  it("describe every field of spec and status (what `kubectl explain` prints)", () => {
    for (const input of CRDS) expect(undescribedPaths(input), input.kind).toEqual([]);
  });
});
