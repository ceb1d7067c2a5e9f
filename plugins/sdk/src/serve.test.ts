import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isVeleroError } from "./contract/errors.js";
import { createNoopPluginLogger } from "./logger.js";
import { resolvePluginCommand, serve, type ServeRuntime } from "./serve.js";
import { InMemoryObjectStore } from "./testing/in-memory-object-store.js";
import { checkHealth, connectPlugin, listPlugins, shutdownPlugin, type PluginConnection } from "./transport/connection.js";
import { parseHandshake } from "./transport/handshake.js";
import { createObjectStoreClient } from "./transport/object-store.client.js";
import { createBackupItemActionClient } from "./transport/backup-item-action.client.js";

interface FakeRuntime extends ServeRuntime {
  stdout: string[];
  /** How many lines were written to stdout when it was ended. */
  stdoutEndedAfter?: number;
  stderr: string[];
  redirected: boolean;
  exited: Promise<number>;
  handlers?: { onCrash(error: unknown): void; onTerminate(): void; onExit(): void };
}

function fakeRuntime(env: Record<string, string | undefined>): FakeRuntime {
  let resolveExit: (code: number) => void = () => {};
  const rt: FakeRuntime = {
    env,
    argv: ["/usr/bin/node", "/plugins/velero-plugin-x", "--log-level=debug", "--features=EnableCSI", "--uploader-type=kopia"],
    execPath: "/usr/bin/node",
    isSingleExecutable: false,
    stdout: [],
    stderr: [],
    redirected: false,
    exited: new Promise((r) => (resolveExit = r)),
    writeStdout: (t) => void rt.stdout.push(t),
    endStdout: () => void (rt.stdoutEndedAfter = rt.stdout.length),
    writeStderr: (t) => void rt.stderr.push(t),
    redirectStdoutToStderr: () => void (rt.redirected = true),
    installProcessHandlers: (h) => void (rt.handlers = h),
    watchParent: () => undefined,
    exit: (code) => resolveExit(code),
  };
  return rt;
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function socketParent(): string {
  const dir = mkdtempSync(join(tmpdir(), "vt-serve-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe("serve().start()", () => {
  it("refuses to run without the magic cookie: message on stderr, exit 1, nothing on stdout", async () => {
    const rt = fakeRuntime({});
    await expect(serve({ runtime: rt, logger: createNoopPluginLogger() }).start()).rejects.toThrow(/magic cookie/);
    expect(await rt.exited).toBe(1);
    expect(rt.stdout).toEqual([]);
    expect(rt.stderr.join("")).toMatch(/is a Velero plugin.*not meant to be executed directly.*VELERO_PLUGIN=hello/s);
  });

  it("rejects a wrong cookie value", async () => {
    const rt = fakeRuntime({ VELERO_PLUGIN: "goodbye" });
    await expect(serve({ runtime: rt, logger: createNoopPluginLogger() }).start()).rejects.toThrow();
    expect(await rt.exited).toBe(1);
    expect(rt.stdout).toEqual([]);
  });

  it.each([
    { name: "grpc when the host offers nothing else (Velero)", offer: undefined, protocol: "grpc" },
    { name: "grpc when the offer lists no protocol we know", offer: "vtframes9, h3", protocol: "grpc" },
    { name: "vtframes1 when the velero-ts host offers it", offer: "vtframes1", protocol: "vtframes1" },
  ] as const)("listens on a private unix socket, prints one handshake line, serves, and exits 0 on Shutdown: $name", async ({ offer, protocol }) => {
    const parent = socketParent();
    const rt = fakeRuntime({ VELERO_PLUGIN: "hello", PLUGIN_UNIX_SOCKET_DIR: parent, VELERO_TS_PLUGIN_PROTOCOLS: offer });
    const store = new InMemoryObjectStore();
    const running = await serve({ runtime: rt, logger: createNoopPluginLogger() })
      .registerObjectStore("example.io/store", () => store)
      .registerBackupItemAction("example.io/action", () => ({
        appliesTo: async () => ({ includedNamespaces: [], excludedNamespaces: [], includedResources: ["pods"], excludedResources: [], selector: "" }),
        execute: async (item) => ({ item, additionalItems: [] }),
      }))
      .start();

    expect(rt.redirected).toBe(true);
    expect(rt.stdout).toHaveLength(1);
    expect(rt.stdoutEndedAfter, "stdout is ended right after the handshake").toBe(1);
    const line = rt.stdout[0] ?? "";
    expect(line).toMatch(new RegExp(`^1\\|2\\|unix\\|[^|]+\\|${protocol}\\|\\n$`));
    const info = parseHandshake(line, { offered: ["vtframes1"] });
    expect(info.protocol).toBe(protocol);
    expect(info.address.startsWith(join(parent, "plugin"))).toBe(true);
    const socketDir = join(info.address, "..");
    expect(statSync(socketDir).mode & 0o777).toBe(0o700);
    expect(running.address).toBe(info.address);

    const conn: PluginConnection = connectPlugin(info);
    try {
      await checkHealth(conn, 5000);
      expect(await listPlugins(conn)).toEqual([
        { command: "/plugins/velero-plugin-x", kind: "BackupItemAction", name: "example.io/action" },
        { command: "/plugins/velero-plugin-x", kind: "ObjectStore", name: "example.io/store" },
      ]);
      await createObjectStoreClient(conn, "example.io/store").init({ bucket: "b" });
      expect(store.config).toEqual({ bucket: "b" });
      expect((await createBackupItemActionClient(conn, "example.io/action").appliesTo()).includedResources).toEqual(["pods"]);
      await shutdownPlugin(conn);
    } finally {
      conn.close();
    }
    expect(await rt.exited).toBe(0);
    expect(readdirSync(parent)).toEqual([]); // the socket directory is gone
    expect(rt.stdout).toHaveLength(1);
  });

  it.each(["grpc", "vtframes1"] as const)("listens on 127.0.0.1 when asked for tcp, and reports the command override (%s)", async (protocol) => {
    const rt = fakeRuntime({ VELERO_PLUGIN: "hello", VELERO_PLUGIN_NETWORK: "tcp", VELERO_PLUGIN_COMMAND: "/opt/wrapper", VELERO_TS_PLUGIN_PROTOCOLS: protocol === "grpc" ? undefined : protocol });
    const running = await serve({ runtime: rt, logger: createNoopPluginLogger() }).registerObjectStore("example.io/s", () => new InMemoryObjectStore()).start();
    const info = parseHandshake(rt.stdout[0] ?? "", { offered: ["vtframes1"] });
    expect(info.protocol).toBe(protocol);
    expect(info.network).toBe("tcp");
    expect(info.address).toMatch(/^127\.0\.0\.1:\d+$/);
    const conn = connectPlugin(info);
    try {
      expect((await listPlugins(conn))[0]?.command).toBe("/opt/wrapper");
    } finally {
      conn.close();
    }
    await running.shutdown();
    expect(await rt.exited).toBe(0);
  });

  it("fails in-flight calls with ABORTED and exits 1 when the plugin crashes", async () => {
    const rt = fakeRuntime({ VELERO_PLUGIN: "hello", VELERO_PLUGIN_NETWORK: "tcp" });
    let entered: () => void = () => {};
    const inCall = new Promise<void>((r) => (entered = r));
    await serve({ runtime: rt, logger: createNoopPluginLogger() })
      .registerBackupItemAction("example.io/hang", () => ({
        appliesTo: () => {
          entered();
          return new Promise(() => {}); // never settles
        },
        execute: async (item) => ({ item, additionalItems: [] }),
      }))
      .start();
    const conn = connectPlugin(parseHandshake(rt.stdout[0] ?? ""));
    try {
      const pending = createBackupItemActionClient(conn, "example.io/hang").appliesTo();
      await inCall;
      rt.handlers?.onCrash(new TypeError("cannot read properties of undefined"));
      const error: unknown = await pending.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isVeleroError(error) && (error as { reason?: string }).reason).toBe("aborted");
      expect((error as Error).message).toBe("rpc error: code = Aborted desc = plugin crashed: cannot read properties of undefined");
      expect(await rt.exited).toBe(1);
    } finally {
      conn.close();
    }
  });

  it("logs and leaves out registrations with invalid or duplicate names, serving the others (Velero's Go framework: a Velero server still starts)", () => {
    const errors: string[] = [];
    const logger = { ...createNoopPluginLogger(), error: (_o: object | string, msg?: string) => void errors.push(msg ?? ""), child: () => logger };
    const builder = serve({ logger }).registerObjectStore("example.io/a", () => new InMemoryObjectStore());
    builder.registerObjectStore("example.io/a", () => new InMemoryObjectStore());
    builder.registerObjectStore("no-slash", () => new InMemoryObjectStore());
    builder.registerObjectStore("Example.IO/x", () => new InMemoryObjectStore());
    // The same name under another kind is fine (AWS serves velero.io/aws as two kinds).
    builder.registerVolumeSnapshotter("example.io/a", () => ({}) as never);
    expect(errors).toEqual([
      expect.stringMatching(/^invalid plugin name "example.io\/a": plugin name example.io\/a already exists/),
      expect.stringMatching(/^invalid plugin name "no-slash": .*exactly one "\/"/),
      expect.stringMatching(/^invalid plugin name "Example.IO\/x": .*DNS-1123/),
    ]);
    expect(builder.registry.list()).toEqual([
      { kind: "VolumeSnapshotter", name: "example.io/a" },
      { kind: "ObjectStore", name: "example.io/a" },
    ]);
  });
});

describe("resolvePluginCommand", () => {
  const base = { env: {}, argv: ["/usr/bin/node", "plugins/p.js"], execPath: "/usr/bin/node", isSingleExecutable: false };
  it.each([
    { name: "script run by node: its absolute path", rt: base, expected: join(process.cwd(), "plugins/p.js") },
    { name: "single-executable app: the executable", rt: { ...base, argv: ["/plugins/velero-plugin-aws", "/plugins/velero-plugin-aws"], execPath: "/plugins/velero-plugin-aws", isSingleExecutable: true }, expected: "/plugins/velero-plugin-aws" },
    { name: "explicit override wins", rt: { ...base, env: { VELERO_PLUGIN_COMMAND: "/plugins/wrapper" } }, expected: "/plugins/wrapper" },
    { name: "no script (node -e): the runtime", rt: { ...base, argv: ["/usr/bin/node"] }, expected: "/usr/bin/node" },
  ])("$name", ({ rt, expected }) => {
    expect(resolvePluginCommand(rt)).toBe(expected);
  });
});
