/**
 * The log of the built-in item actions. Velero's built-in actions run as a plugin process whose
 * log lines reach the log of the backup being served (`velero backup logs` shows "Executing
 * podAction", "Adding pvc data to additionalItems"...). Ours run in process: the engine runs each
 * action call with the backup's log as the current action log, and a built-in action writes
 * there. Outside a backup (or in a plugin process) there is none and the action logs nothing.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Logger } from "./logging.js";

const current = new AsyncLocalStorage<Logger>();
/** Per engine log, its child with Velero's plugin marker (made once per backup or restore). */
const pluginLogs = new WeakMap<Logger, Logger>();

/**
 * Runs `call` with `log` (a backup's or restore's log) as the log of the built-in actions it
 * calls; their lines carry `pluginName=velero`, as Velero's built-in plugin process's do.
 */
export function runWithActionLog<T>(log: Logger, call: () => Promise<T>): Promise<T> {
  let pluginLog = pluginLogs.get(log);
  if (!pluginLog) pluginLogs.set(log, (pluginLog = log.child({ pluginName: "velero" })));
  return current.run(pluginLog, call);
}

/** The log of the backup or restore whose action call is running; undefined outside one. */
export function actionLog(): Logger | undefined {
  return current.getStore();
}

/**
 * Runs an action's work between the lines Velero's built-in action writes: `executing` first
 * and, when `done` is given, that line last (a Go `defer`). The work gets the action log.
 */
export async function logged<T>(executing: string, done: string | undefined, work: (log: Logger | undefined) => Promise<T> | T): Promise<T> {
  const log = actionLog();
  log?.info(executing);
  try {
    return await work(log);
  } finally {
    if (done) log?.info(done);
  }
}
