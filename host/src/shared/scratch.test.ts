import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { deadPid } from "../testing/processes.js";
import { makeScratchDir, removeOwnScratchRoot, removeStaleScratch } from "./scratch.js";

let base: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), "vt-scratch-test-"));
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});


describe("scratch directories", () => {
  it("are made under a directory of this process (0700)", async () => {
    const dir = await makeScratchDir("velero-backup-", base);
    expect(dir.startsWith(join(base, `velero-ts-${process.pid}`, "velero-backup-"))).toBe(true);
    expect(existsSync(dir)).toBe(true);
  });

  it("a server start removes the directories of processes that no longer run and old ones of earlier versions, and nothing else", async () => {
    const dead = join(base, `velero-ts-${deadPid()}`);
    await mkdir(join(dead, "velero-restore-abc123", "resources"), { recursive: true });
    await writeFile(join(dead, "velero-restore-abc123", "resources", "secret.json"), "{}");
    const mine = await makeScratchDir("velero-backup-", base);
    const parent = join(base, `velero-ts-${process.ppid}`); // a live process
    await mkdir(parent);
    const oldLegacy = join(base, "velero-backup-Ab12Cd");
    const newLegacy = join(base, "velero-restore-Zz99Yy");
    const unrelated = join(base, "velero-backup-notours-x");
    for (const d of [oldLegacy, newLegacy, unrelated]) await mkdir(d);
    const twoDaysAgo = new Date(Date.now() - 48 * 3_600_000);
    await utimes(oldLegacy, twoDaysAgo, twoDaysAgo);
    await utimes(unrelated, twoDaysAgo, twoDaysAgo);

    const removed = await removeStaleScratch(base);
    expect(removed.sort()).toEqual([`velero-ts-${dead.split("velero-ts-")[1]}`, "velero-backup-Ab12Cd"].sort());
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(oldLegacy)).toBe(false);
    for (const kept of [mine, parent, newLegacy, unrelated]) expect(existsSync(kept), kept).toBe(true);
  });

  it("a clean stop removes this process's scratch root only when it is empty", async () => {
    const dir = await makeScratchDir("velero-backup-", base);
    const root = join(base, `velero-ts-${process.pid}`);
    await removeOwnScratchRoot(base);
    expect(existsSync(root)).toBe(true); // a scratch directory is still in use
    await rm(dir, { recursive: true });
    await removeOwnScratchRoot(base);
    expect(existsSync(root)).toBe(false);
  });
});
