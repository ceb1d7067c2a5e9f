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

/** Runs `call` with `log` as the log of the built-in actions it calls. */
export function runWithActionLog<T>(log: Logger, call: () => Promise<T>): Promise<T> {
  return current.run(log, call);
}

/** The log of the backup whose action call is running; undefined outside one. */
export function actionLog(): Logger | undefined {
  return current.getStore();
}
