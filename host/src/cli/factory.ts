/**
 * Velero's client.Factory: resolves the global flags (namespace, kubeconfig, kubecontext) and
 * hands out one KubeClient per CLI run. Namespace precedence: -n flag, then the client config
 * file, then $VELERO_NAMESPACE, then "velero".
 */
import type { KubeClient } from "../kube/client.js";
import { UsageError } from "../shared/errors.js";
import { configString, loadClientConfig, type ClientConfig } from "./client-config.js";
import { parseGoBool } from "./flags/values.js";
import { ANSI_COLORS, NO_COLORS, type Colors } from "./output/colors.js";
import type { CliDeps } from "./deps.js";

export interface GlobalOptions {
  namespace?: string;
  kubeconfig?: string;
  kubecontext?: string;
  features?: string;
  /** --colorized: a Go bool ("true", "false", "1"...). */
  colorized?: string;
  debug?: boolean;
}

export class Factory {
  readonly deps: CliDeps;
  /** Set by a verb whose outcome is not plain success (e.g. --wait saw PartiallyFailed). */
  exitCode = 0;
  #globals: GlobalOptions = {};
  #config: ClientConfig | undefined;
  #kube: Promise<KubeClient> | undefined;
  /** --cacert / --insecure-skip-tls-verify of the command that downloads files (logs, describe --details, download). */
  downloadFlags: { cacert?: string; insecureSkipTlsVerify?: boolean } = {};

  constructor(deps: CliDeps) {
    this.deps = deps;
  }

  setGlobals(globals: GlobalOptions): void {
    this.#globals = globals;
  }

  get globals(): GlobalOptions {
    return this.#globals;
  }

  clientConfig(): ClientConfig {
    this.#config ??= loadClientConfig(this.deps.homeDir);
    return this.#config;
  }

  namespace(): string {
    if (this.#globals.namespace) return this.#globals.namespace;
    const fromConfig = configString(this.clientConfig(), "namespace");
    if (fromConfig) return fromConfig;
    return this.deps.env.VELERO_NAMESPACE || "velero";
  }

  /** Client-config and --features feature flags, merged. */
  features(): string[] {
    const all = [configString(this.clientConfig(), "features"), this.#globals.features ?? ""];
    return all.flatMap((f) => f.split(",")).map((f) => f.trim()).filter((f) => f !== "");
  }

  /**
   * Describe output colours. --colorized, else the client config's `colorized`, decides as in
   * Velero (true colours even piped output). Unset, velero-ts colours only a terminal and honours
   * NO_COLOR; Velero would colour piped output too, escape codes and all.
   */
  colors(): Colors {
    const flag = this.#globals.colorized;
    if (flag !== undefined) {
      const on = parseGoBool(flag);
      if (on === undefined) throw new UsageError(`invalid argument "${flag}" for "--colorized" flag: strconv.ParseBool: parsing "${flag}": invalid syntax`);
      return on ? ANSI_COLORS : NO_COLORS;
    }
    const configured = this.clientConfig()["colorized"];
    const fromConfig = typeof configured === "boolean" ? configured : typeof configured === "string" ? parseGoBool(configured) : undefined;
    if (fromConfig !== undefined) return fromConfig ? ANSI_COLORS : NO_COLORS;
    return this.deps.stdout.isTTY === true && !this.deps.env["NO_COLOR"] ? ANSI_COLORS : NO_COLORS;
  }

  kube(): Promise<KubeClient> {
    this.#kube ??= this.deps.connect({ kubeconfig: this.#globals.kubeconfig, kubecontext: this.#globals.kubecontext });
    return this.#kube;
  }

  /** Releases the client's connections so the process can exit promptly. */
  async close(): Promise<void> {
    if (!this.#kube) return;
    const kube = (await this.#kube.catch(() => undefined)) as { close?: () => Promise<void> } | undefined;
    await kube?.close?.();
  }

  out(text: string): void {
    this.deps.stdout.write(text);
  }

  /**
   * out() for long output written piece by piece (a log of hundreds of MiB): waits while stdout
   * is backed up. A pipe to a slow reader takes writes asynchronously, and Node would queue the
   * whole log in memory.
   */
  async outPiece(text: string): Promise<void> {
    const stdout = this.deps.stdout;
    if (stdout.write(text) === false && stdout.once) await new Promise<void>((resolve) => stdout.once?.("drain", resolve));
  }

  err(text: string): void {
    this.deps.stderr.write(text);
  }
}
