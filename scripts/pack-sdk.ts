// Packs the plugin SDK for authors outside this repository: builds proto/ and plugins/sdk, then
// `npm pack`s both into dist/sdk/. The SDK depends on @velero-ts/proto, which is not published to
// a registry, so an author installs the two tarballs together (npm then takes the proto
// dependency from the tarball instead of asking the registry for it):
//
//   npm install ./velero-ts-proto-0.1.0.tgz ./velero-ts-plugin-sdk-0.1.0.tgz
//
// Usage: node scripts/pack-sdk.ts [--out <dir>]   (npm run sdk:pack)
// Programmatic: import { packSdk } from "./pack-sdk.ts" (the plugin-protocol suite packs into a temp dir).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
/** The workspaces packed (directory and package name), dependencies first. */
const PACKAGES = [
  { dir: "proto", name: "@velero-ts/proto" },
  { dir: "plugins/sdk", name: "@velero-ts/plugin-sdk" },
] as const;

export interface PackedSdk {
  /** Absolute paths of the tarballs, proto first. */
  tarballs: string[];
}

/**
 * How to run npm: the npm that runs this script (`npm run`), else the one shipped next to this
 * node, else `npm` from PATH. Returns the command and the arguments that precede npm's own.
 */
export function npmCommand(): [string, string[]] {
  const fromNpmRun = process.env["npm_execpath"];
  if (fromNpmRun?.endsWith("npm-cli.js")) return [process.execPath, [fromNpmRun]];
  const bundled = join(dirname(process.execPath), "..", "lib", "node_modules", "npm", "bin", "npm-cli.js");
  if (existsSync(bundled)) return [process.execPath, [bundled]];
  return ["npm", []];
}

function run(command: string, args: string[], what: string): string {
  const result = spawnSync(command, args, { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 2 ** 20 });
  if (result.status !== 0) {
    throw new Error(`pack-sdk: ${what} failed (exit ${result.status ?? result.signal}):\n${result.stdout}${result.stderr}`);
  }
  return result.stdout;
}

/** Builds proto and the SDK, and packs both into `outDir` (replacing tarballs already there). */
export async function packSdk(outDir = join(ROOT, "dist", "sdk")): Promise<PackedSdk> {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  run(process.execPath, [tsc, "-b", ...PACKAGES.map((p) => p.dir)], "tsc -b proto plugins/sdk");
  await mkdir(outDir, { recursive: true });
  for (const name of await readdir(outDir)) {
    if (name.endsWith(".tgz")) await rm(join(outDir, name));
  }
  const [npm, npmArgs] = npmCommand();
  const workspaces = PACKAGES.flatMap((p) => ["--workspace", p.dir]);
  const out = run(npm, [...npmArgs, "pack", ...workspaces, "--pack-destination", outDir, "--json", "--silent"], "npm pack");
  const packed = JSON.parse(out) as { name: string; filename: string }[];
  const tarballs = PACKAGES.map(({ name }) => {
    const filename = packed.find((p) => p.name === name)?.filename;
    if (!filename || !existsSync(join(outDir, filename))) throw new Error(`pack-sdk: npm pack produced no tarball for ${name}:\n${out}`);
    return join(outDir, filename);
  });
  return { tarballs };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let outDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--out") outDir = resolve(argv[++i] ?? "");
    else throw new Error(`pack-sdk: unknown argument "${argv[i]}" (use --out <dir>)`);
  }
  const { tarballs } = await packSdk(outDir);
  process.stdout.write(`${tarballs.join("\n")}\n\nInstall both in a plugin project:\n  npm install ${tarballs.join(" ")}\n`);
}

const self = fileURLToPath(import.meta.url);
if (process.argv[1] && resolve(process.argv[1]) === self) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
