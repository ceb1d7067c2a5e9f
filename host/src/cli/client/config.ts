/** velero client config get [KEYS] | set KEY=VALUE... ($HOME/.config/velero/config.json) */
import { Command } from "commander";
import { loadClientConfig, saveClientConfig } from "../client-config.js";
import { actionFor, type Verb } from "../command-kit.js";
import type { Factory } from "../factory.js";

class ConfigGet implements Verb {
  readonly #f: Factory;
  keys: string[] = [];
  constructor(f: Factory) {
    this.#f = f;
  }
  complete(args: string[]): void {
    this.keys = args;
  }
  validate(): void {}
  async run(): Promise<void> {
    const config = loadClientConfig(this.#f.deps.homeDir);
    const keys = this.keys.length > 0 ? this.keys : Object.keys(config).sort();
    for (const key of keys) this.#f.out(`${key}: ${key in config ? String(config[key]) : "<NOT SET>"}\n`);
  }
}

class ConfigSet implements Verb {
  readonly #f: Factory;
  pairs: string[] = [];
  constructor(f: Factory) {
    this.#f = f;
  }
  complete(args: string[]): void {
    this.pairs = args;
  }
  validate(): void {}
  async run(): Promise<void> {
    const home = this.#f.deps.homeDir;
    const config = loadClientConfig(home);
    for (const arg of this.pairs) {
      const pair = arg.split("=");
      if (pair.length !== 2) {
        this.#f.err(`WARNING: invalid KEY=VALUE: ${JSON.stringify(arg)} (expected for example namespace=velero)\n`);
        continue;
      }
      const [key, value] = pair as [string, string];
      if (value === "") delete config[key];
      else config[key] = value;
    }
    saveClientConfig(home, config);
  }
}

export function newClientCommand(f: Factory): Command {
  const config = new Command("config")
    .description("Get and set client configuration file values")
    .addCommand(new Command("get").description("Get client configuration file values").argument("[KEYS...]", "keys").action(actionFor(f, () => new ConfigGet(f))))
    .addCommand(
      new Command("set")
        .description("Set client configuration file values")
        .argument("<KEY=VALUE...>", "pairs; an empty value removes the key")
        .action(actionFor(f, () => new ConfigSet(f))),
    );
  return new Command("client").description("Velero client related commands").addCommand(config);
}
