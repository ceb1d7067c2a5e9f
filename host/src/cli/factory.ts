/**
 * Velero's client.Factory: resolves the global flags (namespace, kubeconfig, kubecontext) and
 * hands out one KubeClient per CLI run. Namespace precedence: -n flag, then the client config
 * file, then $VELERO_NAMESPACE, then "velero".
 */
import type { KubeClient } from "../kube/client.js";
import { configString, loadClientConfig, type ClientConfig } from "./client-config.js";
import type { CliDeps } from "./deps.js";

export interface GlobalOptions {
  namespace?: string;
  kubeconfig?: string;
  kubecontext?: string;
  features?: string;
  debug?: boolean;
}

export class Factory {
  readonly deps: CliDeps;
  /** Set by a verb whose outcome is not plain success (e.g. --wait saw PartiallyFailed). */
  exitCode = 0;
  #globals: GlobalOptions = {};
  #config: ClientConfig | undefined;
  #kube: Promise<KubeClient> | undefined;

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

  err(text: string): void {
    this.deps.stderr.write(text);
  }
}
