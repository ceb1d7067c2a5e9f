// Builds every plugin package (and, optionally, the velero CLI) into ONE self-contained executable
// each, so real Velero (Go) can run it from --plugin-dir on a machine without Node:
//
//   esbuild bundle (CJS, everything inlined, the proto descriptor included)
//   → sea-config.json → `node --experimental-sea-config` (preparation blob, with V8 code cache)
//   → copy of this node binary (stripped of debug symbols when `strip` exists)
//   → postject the blob under NODE_SEA_BLOB, flipping the NODE_SEA_FUSE sentinel
//   → atomic rename into dist/plugins/<binary> (or dist/bin/velero).
//
// Incremental: the bundle is cheap and always rebuilt; the slow blob + inject steps are skipped
// when the bundle's hash and the node binary are unchanged. Safe to run concurrently (a lock
// directory serialises builders), because test suites call it from their setup.
//
// Usage: node scripts/build-plugins.ts [--only <name>[,<name>]] [--no-velero] [--force] [--quiet]
// Programmatic: import { buildSeaExecutable } from "./build-plugins.ts" (test fixtures use it).
//
// Runtime note: the executables link glibc, libstdc++ and libgcc_s dynamically (like the official
// node binary). The Velero image provides glibc; where libstdc++ is missing, copy it (without an
// exec bit) next to the plugins: Velero sets LD_LIBRARY_PATH=/plugins for exactly this.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { chmod, copyFile, mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

/** The repository root: the nearest ancestor holding the root package.json (this file may be bundled). */
export const ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

function findRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "velero-ts") return dir;
    if (dirname(dir) === dir) throw new Error(`build-plugins: no velero-ts package.json above ${start}`);
  }
}
/** Node's documented fuse for single executable applications (must match the node binary). */
const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";
const SEA_RESOURCE = "NODE_SEA_BLOB";
const STAMP_VERSION = 2;

export interface SeaTarget {
  /** Output file name, e.g. "velero-plugin-aws". */
  name: string;
  /** Absolute path of the TypeScript (or JS) entry point. */
  entry: string;
  /** Absolute output path of the executable. */
  output: string;
  /** Node options baked into the executable (sea-config execArgv); default PLUGIN_EXEC_ARGV. */
  execArgv?: readonly string[];
  /** Files embedded in the executable (sea-config assets: key → path), read with node:sea getAsset. */
  assets?: Readonly<Record<string, string>>;
}

/**
 * Node options of every plugin executable. A 1 MiB young generation (semi-space) makes V8
 * scavenge often enough to free the socket-read buffers of object bodies while they are young;
 * with the default, 1 GiB streamed through a plugin piles up ~64 MiB of dead buffers at a time
 * and triggers ~20 full mark-compact GCs (4 GC threads each), which cost the plugin more CPU
 * than the transfer itself (PutObject ~1.1 -> ~2.2 GB/s in the plugin benchmark). Plugins keep
 * little state, so the smaller young generation costs them nothing measurable elsewhere.
 * NODE_OPTIONS still extends these (execArgvExtension "env", the default).
 */
export const PLUGIN_EXEC_ARGV: readonly string[] = ["--max-semi-space-size=1"];

/**
 * Node options of the velero executable (CLI and server). Without a memory limit V8 lets its
 * young generation grow with the machine's memory (128 MiB committed on a 24 GiB machine after a
 * few large backups), memory a server then holds for good; in a container with a limit it sizes
 * it from the limit instead. A 16 MiB semi-space: the server backing up 10,000 objects four times
 * peaked at 272-290 MiB instead of 360-369 MiB, with the same backup walls (2026-11-27,
 * interleaved runs of `node host/dist/main.js server` with and without the flag).
 */
export const VELERO_EXEC_ARGV: readonly string[] = ["--max-semi-space-size=16"];

export interface SeaResult {
  target: SeaTarget;
  /** False when the stamp showed nothing changed. */
  built: boolean;
  bytes: number;
  bundleBytes: number;
  ms: number;
}

export interface BuildOptions {
  /** Rebuild even when inputs are unchanged. */
  force?: boolean;
  /** Where bundles, blobs and stamps go (default dist/.sea-work). */
  workDir?: string;
  /** Progress lines; default stderr. */
  log?: (line: string) => void;
}

/** The plugin packages with a `src/main.ts`, plus notes for those skipped. */
export function discoverPluginTargets(outDir = join(ROOT, "dist", "plugins")): { targets: SeaTarget[]; notes: string[] } {
  const targets: SeaTarget[] = [];
  const notes: string[] = [];
  const pluginsDir = join(ROOT, "plugins");
  for (const dir of readdirSync(pluginsDir).sort()) {
    if (dir === "sdk") continue;
    const pkgPath = join(pluginsDir, dir, "package.json");
    if (!existsSync(pkgPath)) continue;
    const entry = join(pluginsDir, dir, "src", "main.ts");
    if (!existsSync(entry)) {
      notes.push(`plugins/${dir}: no src/main.ts yet, skipped`);
      continue;
    }
    const pkg = JSON.parse(readFileSync(pkgPath, "utf8")) as { bin?: Record<string, string> | string };
    const binName = typeof pkg.bin === "object" ? Object.keys(pkg.bin)[0] : undefined;
    const name = binName ?? `velero-plugin-${dir}`;
    targets.push({ name, entry, output: join(outDir, name) });
  }
  return { targets, notes };
}

/** Builds one executable unless its stamp says it is up to date. */
export async function buildSeaExecutable(target: SeaTarget, options: BuildOptions = {}): Promise<SeaResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(line + "\n"));
  const workDir = options.workDir ?? join(ROOT, "dist", ".sea-work");
  const work = join(workDir, target.name);
  await mkdir(work, { recursive: true });
  await mkdir(dirname(target.output), { recursive: true });
  const started = performance.now();

  return withLock(join(workDir, `${target.name}.lock`), async () => {
    const bundlePath = join(work, "main.cjs");
    await bundle(target.entry, bundlePath);
    const bundleBytes = (await stat(bundlePath)).size;
    const stampPath = join(work, "stamp.json");
    const execArgv = target.execArgv ?? PLUGIN_EXEC_ARGV;
    const assets = target.assets ?? {};
    const assetHashes: Record<string, string> = {};
    for (const [key, path] of Object.entries(assets)) assetHashes[key] = sha256(await readFile(path));
    const stamp = JSON.stringify({
      v: STAMP_VERSION,
      execArgv,
      assets: assetHashes,
      bundle: sha256(await readFile(bundlePath)),
      node: process.version,
      nodeSize: (await stat(process.execPath)).size,
    });
    if (!options.force && existsSync(target.output) && existsSync(stampPath) && (await readFile(stampPath, "utf8")) === stamp) {
      const bytes = (await stat(target.output)).size;
      return { target, built: false, bytes, bundleBytes, ms: performance.now() - started };
    }

    const blobPath = join(work, "prep.blob");
    const seaConfigPath = join(work, "sea-config.json");
    await writeFile(
      seaConfigPath,
      JSON.stringify({ main: bundlePath, output: blobPath, disableExperimentalSEAWarning: true, useCodeCache: true, useSnapshot: false, execArgv, assets }),
    );
    run(process.execPath, ["--experimental-sea-config", seaConfigPath], `sea blob for ${target.name}`);

    const tmp = `${target.output}.tmp-${process.pid}`;
    await copyFile(await baseBinary(workDir), tmp);
    await chmod(tmp, 0o755);
    const postject = createRequire(import.meta.url).resolve("postject/dist/cli.js");
    run(process.execPath, [postject, tmp, SEA_RESOURCE, blobPath, "--sentinel-fuse", SEA_FUSE], `postject into ${target.name}`);
    await rename(tmp, target.output);
    await writeFile(stampPath, stamp);
    const bytes = (await stat(target.output)).size;
    const ms = performance.now() - started;
    log(`build-plugins: ${relative(ROOT, target.output)} ${(bytes / 2 ** 20).toFixed(1)} MiB (bundle ${(bundleBytes / 2 ** 20).toFixed(2)} MiB) in ${(ms / 1000).toFixed(1)} s`);
    return { target, built: true, bytes, bundleBytes, ms };
  });
}

/** Every CRD manifest of plugins/sdk/crd in one multi-document YAML file (dist/.sea-work/velero-crds.yaml). */
async function crdBundle(): Promise<string> {
  const dir = join(ROOT, "plugins", "sdk", "crd");
  const files = readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort();
  const out = join(ROOT, "dist", ".sea-work", "velero-crds.yaml");
  await mkdir(dirname(out), { recursive: true });
  const docs = await Promise.all(files.map((f) => readFile(join(dir, f), "utf8")));
  await writeFile(out, docs.join("\n---\n"));
  return out;
}

async function bundle(entry: string, outfile: string): Promise<void> {
  try {
    await esbuildBundle(entry, outfile);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const hint = /top-level await/i.test(message)
      ? "\nhint: Node 24 single executables run CommonJS, which has no top-level await; in the entry write `void serve()...start();` or `main().then(...)` instead of `await`"
      : "";
    throw new Error(`build-plugins: bundling ${relative(ROOT, entry)} failed: ${message}${hint}`, { cause: error });
  }
}

async function esbuildBundle(entry: string, outfile: string): Promise<void> {
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node24",
    // ESM sources read import.meta.url; in the CJS bundle it becomes the executable's own URL.
    define: { "import.meta.url": "__vtImportMetaUrl" },
    banner: { js: 'const __vtImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
    legalComments: "none",
    sourcemap: false,
    minifyWhitespace: true,
    logLevel: "silent", // errors are rethrown with context
  });
}

/** The node binary every executable starts from: stripped of debug info once, then cached. */
async function baseBinary(workDir: string): Promise<string> {
  const cached = join(workDir, `node-${process.version}-${process.arch}`);
  if (existsSync(cached)) return cached;
  const tmp = `${cached}.tmp-${process.pid}`;
  await copyFile(process.execPath, tmp);
  const stripped = spawnSync("strip", [tmp], { stdio: "ignore" });
  if (stripped.status !== 0) {
    await copyFile(process.execPath, tmp); // no strip(1): use the binary as is
  }
  await rename(tmp, cached);
  return cached;
}

function run(command: string, args: string[], what: string): void {
  const result = spawnSync(command, args, { encoding: "utf8", maxBuffer: 64 * 2 ** 20 });
  if (result.status !== 0) {
    throw new Error(`build-plugins: ${what} failed (exit ${result.status ?? result.signal}):\n${result.stdout}${result.stderr}`);
  }
}

function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** A cross-process lock (mkdir is atomic); a lock whose owner died is taken over. */
async function withLock<T>(lockDir: string, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      await mkdir(lockDir);
      await writeFile(join(lockDir, "pid"), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      let owner = 0;
      try {
        owner = Number(await readFile(join(lockDir, "pid"), "utf8"));
      } catch {
        // the owner is between mkdir and writing its pid
      }
      if (owner > 0 && !isAlive(owner)) {
        await rm(lockDir, { recursive: true, force: true });
        continue;
      }
      if (attempt > 6000) throw new Error(`build-plugins: lock ${lockDir} held for over 10 minutes by pid ${owner}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

interface CliArgs {
  only?: string[];
  velero: boolean;
  force: boolean;
  quiet: boolean;
}

function parseArgs(argv: string[]): CliArgs {
  const args: CliArgs = { velero: true, force: false, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--only") args.only = (argv[++i] ?? "").split(",").filter(Boolean);
    else if (arg === "--no-velero") args.velero = false;
    else if (arg === "--force") args.force = true;
    else if (arg === "--quiet") args.quiet = true;
    else throw new Error(`build-plugins: unknown argument "${arg}" (use --only a,b --no-velero --force --quiet)`);
  }
  return args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const log = args.quiet ? () => {} : (line: string) => process.stderr.write(line + "\n");
  const { targets, notes } = discoverPluginTargets();
  for (const note of notes) log(`build-plugins: ${note}`);
  // the CRDs go inside the executable (`velero install` reads them there: CRD_ASSET in host/src/kube/crds.ts)
  const buildVelero = args.velero && (!args.only || args.only.includes("velero"));
  const velero: SeaTarget = { name: "velero", entry: join(ROOT, "host", "src", "main.ts"), output: join(ROOT, "dist", "bin", "velero"), execArgv: VELERO_EXEC_ARGV, assets: buildVelero ? { "velero-crds.yaml": await crdBundle() } : {} };
  const all = buildVelero ? [...targets, velero] : targets;
  const selected = args.only ? all.filter((t) => args.only?.includes(t.name)) : all;
  const started = performance.now();
  let built = 0;
  for (const target of selected) {
    let result: SeaResult;
    try {
      result = await buildSeaExecutable(target, { force: args.force, log });
    } catch (error) {
      // dist/bin/velero is a convenience (velero-ts runs fine as `npx velero`); plugins are not optional
      if (target !== velero) throw error;
      log(`build-plugins: WARNING: skipped the optional dist/bin/velero executable: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    if (result.built) built++;
    else log(`build-plugins: ${relative(ROOT, target.output)} up to date`);
  }
  log(`build-plugins: ${selected.length} executable(s), ${built} rebuilt, ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

// Run as a script (not when imported, nor when a bundle that inlines this module is run).
const self = fileURLToPath(import.meta.url);
if (self.endsWith(join("scripts", "build-plugins.ts")) && process.argv[1] && resolve(process.argv[1]) === self) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
