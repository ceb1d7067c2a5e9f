/**
 * Scratch directories (a backup's tarball before its upload, a restore's extracted items, logs
 * being written) live under one directory per process, $TMPDIR/velero-ts-<pid>, each removed by
 * the code that made it. A process killed with SIGKILL cannot remove its own: the next server
 * start removes the directories of processes that no longer run (a restore's extracted items can
 * be Secrets; in a pod the container's filesystem goes with it, on a host /tmp stays).
 */
import { mkdir, mkdtemp, readdir, rm, rmdir, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const PREFIX = "velero-ts-";

/** Scratch directories of earlier versions, made directly in $TMPDIR. */
const LEGACY = /^velero-(backup|finalize|restore|restore-log)-[A-Za-z0-9]{6}$/;

/** A day: a legacy directory untouched that long belongs to no running backup or restore. */
const LEGACY_AGE_MS = 24 * 3_600_000;

/** A new scratch directory `<base>/velero-ts-<pid>/<prefix>XXXXXX`; `base` defaults to $TMPDIR. */
export async function makeScratchDir(prefix: string, base: string = tmpdir()): Promise<string> {
  const root = join(base, `${PREFIX}${process.pid}`);
  await mkdir(root, { recursive: true, mode: 0o700 });
  return mkdtemp(join(root, prefix));
}

/**
 * Whether what a process named after `pid` left is a dead process's: not this process, and no
 * process with that pid runs.
 */
export function processGone(pid: number): boolean {
  return pid !== process.pid && !processAlive(pid);
}

/** Whether a process with this pid runs (EPERM: it does, as another user). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes what dead processes left in `base`: the velero-ts-<pid> directories whose process is
 * gone, and earlier versions' velero-backup-* / velero-restore-* directories untouched for a day.
 * Returns the names removed. Never throws (a directory it may not remove is left).
 */
export async function removeStaleScratch(base: string = tmpdir(), now: number = Date.now()): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(base);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    let stale = false;
    if (name.startsWith(PREFIX)) {
      const pid = Number(name.slice(PREFIX.length));
      stale = Number.isInteger(pid) && pid > 0 && processGone(pid);
    } else if (LEGACY.test(name)) {
      const info = await stat(join(base, name)).catch(() => undefined);
      stale = info !== undefined && info.isDirectory() && now - info.mtimeMs > LEGACY_AGE_MS;
    }
    if (!stale) continue;
    try {
      await rm(join(base, name), { recursive: true, force: true });
      removed.push(name);
    } catch {
      // not ours to remove (another user's), or busy: left
    }
  }
  return removed;
}

/** At a clean stop: this process's scratch root, when nothing is left in it (another server of the same process may still use it). */
export async function removeOwnScratchRoot(base: string = tmpdir()): Promise<void> {
  await rmdir(join(base, `${PREFIX}${process.pid}`)).catch(() => undefined);
}
