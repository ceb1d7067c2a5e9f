// An outside author's path, end to end: pack the SDK (npm run sdk:pack's packSdk), install the
// tarballs into a fresh project outside the repository, write the README's example plugin and
// build script verbatim (read from between its markers), type-check the plugin against the
// installed SDK with skipLibCheck off, build it with the README's two recipes (an ES module for
// hosts with Node; a Node single executable for Velero's image, which has none), and run each
// binary as a host would: one handshake line on stdout, then ListPlugins over the connection lists
// the example's plugins under that binary's path.
import { spawn, type ChildProcess } from "node:child_process";
import { access, constants, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkHealth, connectPlugin, listPlugins, parseHandshake, shutdownPlugin, type PluginConnection } from "@velero-ts/plugin-sdk/host";
import { npmCommand, packSdk } from "../../scripts/pack-sdk.ts";
import { ROOT } from "./helpers.ts";

// npm install on a busy 2-core machine (all from the npm cache) can take a minute or two
const INSTALL_TIMEOUT_MS = 300_000;
const README = join(ROOT, "plugins", "sdk", "README.md");

/** The fenced code block of the README between `<!-- name:start -->` and `<!-- name:end -->`. */
function readmeSnippet(readme: string, name: string): string {
  const match = new RegExp(`<!-- ${name}:start -->\\s*\`\`\`\\w*\\n([\\s\\S]*?)\`\`\`\\s*<!-- ${name}:end -->`).exec(readme);
  if (!match?.[1]) throw new Error(`README.md has no fenced block between <!-- ${name}:start --> and <!-- ${name}:end -->`);
  return match[1];
}

/**
 * The environment of a command run in the outside project: this node first on PATH (the
 * binary's `#!/usr/bin/env node` and npm's scripts use it) and no npm_* variables (npx/npm run
 * set npm_config_local_prefix and friends, which would point npm back at this repository).
 */
function outsideEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) && !key.startsWith("VELERO_")) env[key] = value;
  }
  env["PATH"] = [dirname(process.execPath), process.env["PATH"] ?? ""].join(delimiter);
  return { ...env, ...extra };
}

/** Runs a command to completion; rejects with its output when it fails or takes too long. */
function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: outsideEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${[command, ...args].join(" ")} in ${cwd} failed (${signal ?? `exit ${code}`}):\n${output}`));
    });
  });
}

async function installedVersion(name: string): Promise<string> {
  return (JSON.parse(await readFile(join(ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
}

let root: string;
let project: string;
let binary: string;
let seaBinary: string;
const plugins: ChildProcess[] = [];
const connections: PluginConnection[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "vt-sdk-package-"));
  project = join(root, "velero-plugin-example");
  await mkdir(project);
  const { tarballs } = await packSdk(join(root, "tarballs"));
  await writeFile(join(project, "package.json"), JSON.stringify({ name: "velero-plugin-example", version: "1.0.0", private: true, type: "module" }, null, 2));
  // the exact versions this repository installed, so npm finds them in its cache
  const devTools = await Promise.all(["esbuild", "typescript", "@types/node", "postject"].map(async (name) => `${name}@${await installedVersion(name)}`));
  const [npm, npmArgs] = npmCommand();
  await run(npm, [...npmArgs, "install", ...tarballs, ...devTools, "--prefer-offline", "--no-audit", "--no-fund"], project, INSTALL_TIMEOUT_MS);
  const readme = await readFile(README, "utf8");
  await writeFile(join(project, "plugin.ts"), readmeSnippet(readme, "example-plugin"));
  await writeFile(join(project, "build.mjs"), readmeSnippet(readme, "example-build"));
  await writeFile(join(project, "build-sea.mjs"), readmeSnippet(readme, "example-build-sea"));
  binary = join(project, "dist", "velero-plugin-example");
  seaBinary = join(project, "dist", "velero-plugin-example-sea");
}, INSTALL_TIMEOUT_MS + 60_000);

afterAll(async () => {
  for (const connection of connections) connection.close();
  for (const plugin of plugins) if (plugin.exitCode === null && plugin.signalCode === null) plugin.kill("SIGKILL");
  if (root) await rm(root, { recursive: true, force: true });
});

describe("the SDK installed from its tarballs outside the repository", () => {
  it("installs the SDK with its proto package from the tarballs", async () => {
    const installed = JSON.parse(await readFile(join(project, "node_modules", "@velero-ts", "plugin-sdk", "package.json"), "utf8")) as { dependencies: Record<string, string> };
    expect(installed.dependencies).not.toHaveProperty("@kubernetes/client-node");
    await expect(access(join(project, "node_modules", "@velero-ts", "proto", "package.json"))).resolves.toBeUndefined();
  });

  it("ships the TypeScript sources its source maps name (a stack trace or go-to-definition lands in real files), and none of its tests", async () => {
    const pkg = join(project, "node_modules", "@velero-ts", "plugin-sdk");
    for (const map of ["dist/index.js.map", "dist/testing/object-store-conformance.js.map"]) {
      const { sources } = JSON.parse(await readFile(join(pkg, map), "utf8")) as { sources: string[] };
      for (const source of sources) await expect(access(join(pkg, dirname(map), source)), `${map} → ${source}`).resolves.toBeUndefined();
    }
    const shipped = (await readdir(join(pkg, "src"), { recursive: true })).map(String);
    expect(shipped).toContain("index.ts");
    expect(shipped.filter((f) => f.endsWith(".test.ts"))).toEqual([]);
  });

  it("type-checks the README's example plugin with skipLibCheck false", async () => {
    const tsconfig = {
      compilerOptions: { module: "nodenext", target: "es2023", strict: true, noEmit: true, skipLibCheck: false, types: ["node"] },
      files: ["plugin.ts"],
    };
    await writeFile(join(project, "tsconfig.json"), JSON.stringify(tsconfig, null, 2));
    await run(process.execPath, [join(project, "node_modules", "typescript", "bin", "tsc"), "-p", "."], project, 120_000);
  });

  it("builds the README's example plugin with the README's recipe into one executable file", async () => {
    await run(process.execPath, ["build.mjs"], project, 120_000);
    await access(binary, constants.X_OK);
    expect((await readFile(binary, "utf8")).split("\n", 1)[0]).toBe("#!/usr/bin/env node");
  });

  it("prints exactly one handshake line, then lists the example's plugins over the connection", async () => {
    await expectServesTheExample(binary, outsideEnv());
  });

  it("builds the README's single-executable recipe into a binary that runs without any node on the PATH", async () => {
    await run(process.execPath, ["build-sea.mjs"], project, 300_000);
    await access(seaBinary, constants.X_OK);
    expect((await readFile(seaBinary)).subarray(0, 4).toString("latin1")).toBe("\x7fELF");
    await expectServesTheExample(seaBinary, { ...outsideEnv(), PATH: "/nonexistent" });
  }, 360_000);
});

/** Runs `executable` as a host would: one handshake line on stdout, ListPlugins lists the README example's plugins under its path, Shutdown ends it. */
async function expectServesTheExample(executable: string, env: NodeJS.ProcessEnv): Promise<void> {
  const socketDir = await mkdtemp(join(root, "sockets-")); // the plugin's private socket directory goes under root too
  const child = spawn(executable, [], { cwd: root, env: { ...env, VELERO_PLUGIN: "hello", PLUGIN_UNIX_SOCKET_DIR: socketDir }, stdio: ["ignore", "pipe", "pipe"] });
  plugins.push(child);
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  // the SDK closes its stdout right after the handshake line, while the plugin keeps running
  const stdout = await new Promise<string>((resolve, reject) => {
    let text = "";
    child.stdout.on("data", (d: Buffer) => (text += d.toString()));
    child.stdout.once("end", () => resolve(text));
    child.once("exit", (code, signal) => reject(new Error(`the plugin exited (${signal ?? code}) before ending its stdout; stdout ${JSON.stringify(text)}, stderr ${stderr}`)));
  });
  expect(stdout.split("\n")).toHaveLength(2); // one line and its newline
  expect(stdout).toMatch(/^1\|2\|unix\|[^|\n]+\|grpc\|\n$/);

  const connection = connectPlugin(parseHandshake(stdout.trimEnd()));
  connections.push(connection);
  await checkHealth(connection, 20_000);
  const registered = [...readmeSnippet(await readFile(README, "utf8"), "example-plugin").matchAll(/\.register(\w+)\("([^"]+)"/g)].map((m) => ({
    command: executable,
    kind: m[1] ?? "",
    name: m[2] ?? "",
  }));
  expect(registered.length).toBeGreaterThan(0);
  const byName = (a: { name: string }, b: { name: string }): number => a.name.localeCompare(b.name);
  expect((await listPlugins(connection)).sort(byName)).toEqual(registered.sort(byName));

  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  await shutdownPlugin(connection);
  expect(await exited).toBe(0);
  expect(stderr, "a warning on stderr lands in every backup's log").not.toContain("ExperimentalWarning");
}
