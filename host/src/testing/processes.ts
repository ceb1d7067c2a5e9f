import { spawnSync } from "node:child_process";

/** The pid of a process that has exited (for code that tells live processes from dead ones). */
export function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  const pid = Number(r.stdout);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`could not learn the pid of an exited process: ${r.stderr || String(r.error)}`);
  return pid;
}
