// What the built `velero` (host/dist/main.js) loads to run a command against the cluster. node
// resolves and links a package's files one by one; @kubernetes/client-node alone is ~870 files,
// which took most of each command's start. `npm run build` bundles the host's vendor modules
// (client-node and undici in host/dist/kube/vendor.js, yaml in host/dist/shared/yaml.js;
// scripts/bundle-vendor.ts): the command must load none of those packages' files, and each bundle
// must export what its source re-exports. Nor does a CLI command need gRPC: the SDK loads its
// plugin server (gRPC, the protobuf descriptors) only when a plugin starts serving, and only
// host/src/plugins imports its client adapters.
import { readFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { isBuiltin } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/build-plugins.ts";
import { BUNDLE_BANNER, VENDOR_MODULES } from "../../scripts/bundle-vendor.ts";
import { loadEndpoints } from "../helpers/endpoints.ts";
import { runProcess } from "../helpers/run-process.ts";
import { VELERO_MAIN } from "./cli.ts";

let dir: string | undefined;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the built velero CLI's start", () => {
  it.each(VENDOR_MODULES.map((m) => [m.output.slice(ROOT.length + 1), m] as const))("%s is one bundle exporting what its source re-exports", async (_name, m) => {
    const text = await readFile(m.output, "utf8");
    expect(text.startsWith(BUNDLE_BANNER), `npm run build did not bundle ${m.output}`).toBe(true);
    // no import of another file: node's builtins only
    const imports = [...text.matchAll(/^\s*import\s[^;]*?from\s*"([^"]+)"/gm)].map((i) => i[1] ?? "");
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter((s) => !isBuiltin(s))).toEqual([]);
    // loaded by node itself, as the CLI loads it: each export's name and type
    const probe = `import(${JSON.stringify(m.output)}).then((m) => console.log(JSON.stringify(Object.entries(m).map(([k, v]) => [k, typeof v]).sort())))`;
    const r = await runProcess(process.execPath, ["-e", probe]);
    expect(r.code, r.stderr).toBe(0);
    const source = (await import(m.source)) as Record<string, unknown>;
    expect(JSON.parse(r.stdout)).toEqual(Object.entries(source).map(([k, v]) => [k, typeof v]).sort());
  });

  it("`backup get` against the real API server loads no file of @kubernetes/client-node, undici, yaml, gRPC or the protos", async () => {
    dir = await mkdtemp(join(tmpdir(), "vt-cli-start-"));
    // a module hook that records every file node loads, written out at exit
    const hook = join(dir, "record-loads.mjs");
    const loaded = join(dir, "loaded.json");
    await writeFile(
      hook,
      `import { registerHooks } from "node:module";\nimport { writeFileSync } from "node:fs";\nconst urls = [];\nregisterHooks({ load(url, context, next) { urls.push(url); return next(url, context); } });\nprocess.on("exit", () => writeFileSync(${JSON.stringify(loaded)}, JSON.stringify(urls)));\n`,
    );
    const { kubeconfig } = loadEndpoints();
    const r = await runProcess(process.execPath, ["--import", hook, VELERO_MAIN, "backup", "get", "--kubeconfig", kubeconfig, "-n", "vt-cli-start-none"], { cwd: dir, env: { ...process.env } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain("An error occurred");
    const urls = JSON.parse(await readFile(loaded, "utf8")) as string[];
    expect(urls.length).toBeGreaterThan(10);
    for (const m of VENDOR_MODULES) expect(urls).toContain(`file://${m.output}`);
    expect(urls.filter((u) => /node_modules\/(@kubernetes\/client-node|undici|yaml|@grpc\/grpc-js|@grpc\/proto-loader|protobufjs)\/|\/proto\/dist\//.test(u))).toEqual([]);
  });
});
