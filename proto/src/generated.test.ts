// The committed generated code must match what the .proto files generate today.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const PROTO_DIR = resolve(fileURLToPath(import.meta.url), "../..");
const COMMITTED = join(PROTO_DIR, "src", "generated");

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

describe("proto/src/generated", () => {
  const tmp = mkdtempSync(join(tmpdir(), "vt-proto-gen-"));
  const fresh = join(tmp, "generated");
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("is up to date with the .proto files (run `npm run proto:gen` if this fails)", () => {
    execFileSync(process.execPath, [join(PROTO_DIR, "scripts", "generate.ts"), "--out", fresh], { stdio: "pipe" });
    const expected = listFiles(fresh);
    expect(listFiles(COMMITTED)).toEqual(expected);
    for (const file of expected) {
      const committed = readFileSync(join(COMMITTED, file));
      const regenerated = readFileSync(join(fresh, file));
      expect(committed.equals(regenerated), `${file} is stale: run \`npm run proto:gen\` and commit the result`).toBe(true);
    }
  });
});
