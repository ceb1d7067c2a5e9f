/**
 * The logger the plugin's components take: the subset of the SDK plugin logger (pino-style) they
 * use. main.ts passes the SDK's createPluginLogger(); tests pass a recorder.
 */
export interface PluginLogger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

/** A logger that drops everything. */
export const NOOP_LOGGER: PluginLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
