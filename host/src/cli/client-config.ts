/** The Velero client configuration file, $HOME/.config/velero/config.json (keys: namespace, features, cacert, colorized). */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { UsageError } from "../shared/errors.js";

export type ClientConfig = Record<string, unknown>;

export function clientConfigPath(homeDir: string): string {
  return join(homeDir, ".config", "velero", "config.json");
}

export function loadClientConfig(homeDir: string): ClientConfig {
  const file = clientConfigPath(homeDir);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw err;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as ClientConfig) : {};
  } catch {
    throw new UsageError(`client config file ${file} is not valid JSON: fix it or remove it and run "velero client config set"`);
  }
}

export function saveClientConfig(homeDir: string, config: ClientConfig): void {
  const file = clientConfigPath(homeDir);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(config) + "\n", { mode: 0o600 });
}

export function configString(config: ClientConfig, key: string): string {
  const value = config[key];
  return typeof value === "string" ? value : "";
}
