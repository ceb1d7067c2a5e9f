// The node-agent DaemonSet `velero install --use-node-agent` writes runs `/velero node-agent server`
// with Velero's flags in every pod. velero-ts has no node agent; the command must still start (a
// pod that exits on an unknown command crash-loops on every node and `install --wait` never ends),
// say what it does not do, and stop cleanly on SIGTERM as the kubelet stops it. The command line is
// taken from the built binary's own `install --dry-run -o json` output and run as that container would.
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { eventually, velero, VELERO_MAIN, type CliEnv } from "./cli.ts";

let dir: string | undefined;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Container {
  command: string[];
  args: string[];
}

describe("velero node-agent server (the installed node-agent DaemonSet's command)", () => {
  it("starts with the DaemonSet's command line, says it has no node agent, and exits 0 on SIGTERM", async () => {
    dir = await mkdtemp(join(tmpdir(), "vt-node-agent-"));
    await writeFile(join(dir, "credentials-velero"), "[default]\naws_access_key_id=a\naws_secret_access_key=b\n");
    const ctx: CliEnv = { cwd: dir, env: {} };
    const dry = await velero(ctx, "install", "--provider", "aws", "--plugins", "velero/velero-plugin-for-aws:v1.13.0", "--bucket", "b", "--secret-file", "./credentials-velero", "--use-node-agent", "--use-volume-snapshots=false", "--backup-location-config", "region=minio", "--dry-run", "-o", "json");
    expect(dry.code, dry.stderr).toBe(0);
    const list = JSON.parse(dry.stdout) as { items: { kind: string; metadata: { name: string }; spec?: { template?: { spec?: { containers?: Container[] } } } }[] };
    const ds = list.items.find((i) => i.kind === "DaemonSet" && i.metadata.name === "node-agent");
    const container = ds?.spec?.template?.spec?.containers?.[0];
    expect(container?.command).toEqual(["/velero"]);
    expect(container?.args.slice(0, 2)).toEqual(["node-agent", "server"]);

    // /velero is the binary host/dist/main.js is built into
    const child = spawn(process.execPath, [VELERO_MAIN, ...(container?.args ?? [])], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout.resume();
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      await eventually("the node agent's notice", 30_000, async () => (stderr.includes("velero-ts has no node agent") ? true : undefined));
      expect(stderr).toMatch(/^time="[^"]+" level=warning msg="velero-ts has no node agent: file-system backup \(kopia\/restic\) and data movement are not implemented; /);
      expect(child.exitCode).toBeNull(); // still running
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
