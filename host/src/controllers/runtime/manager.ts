/**
 * Owns the shared informers (one per watched resource) and the controllers built on them.
 * The composition root adds reconcilers, then start()s; stop() ends every watch and worker.
 */
import type { GroupVersionResource, KubeClient } from "../../kube/client.js";
import type { Clock } from "../../shared/clock.js";
import type { Logger } from "../../shared/logging.js";
import { Controller, type ControllerMetrics } from "./controller.js";
import { Informer } from "./informer.js";
import type { Reconciler } from "./types.js";
import type { BackoffOptions } from "./work-queue.js";

export interface ControllerManagerOptions {
  client: KubeClient;
  clock: Clock;
  logger: Logger;
  /** Namespace the watched (namespaced) resources live in; undefined watches all namespaces. */
  namespace?: string;
  metrics?: ControllerMetrics;
  backoff?: BackoffOptions;
}

export class ControllerManager {
  readonly #opts: ControllerManagerOptions;
  readonly #informers = new Map<string, Informer>();
  readonly #controllers: Controller[] = [];
  #started = false;
  #informersStarted = false;

  constructor(options: ControllerManagerOptions) {
    this.#opts = options;
  }

  /** The shared informer of a resource (created on first use). */
  informer(gvr: GroupVersionResource): Informer {
    const key = `${gvr.group}/${gvr.version}/${gvr.resource}`;
    let informer = this.#informers.get(key);
    if (!informer) {
      informer = new Informer({
        client: this.#opts.client,
        gvr,
        namespace: this.#opts.namespace,
        clock: this.#opts.clock,
        logger: this.#opts.logger,
      });
      this.#informers.set(key, informer);
      if (this.#informersStarted) informer.start();
    }
    return informer;
  }

  add(reconciler: Reconciler, options: { concurrency?: number } = {}): Controller {
    const controller = new Controller(reconciler, {
      informer: this.informer(reconciler.watches),
      clock: this.#opts.clock,
      logger: this.#opts.logger,
      concurrency: options.concurrency,
      backoff: this.#opts.backoff,
      metrics: this.#opts.metrics,
    });
    this.#controllers.push(controller);
    if (this.#started) controller.start();
    return controller;
  }

  get controllers(): readonly Controller[] {
    return this.#controllers;
  }

  /**
   * Starts the informers and waits for their first list: the caches then hold every object (what
   * the server does once before its controllers run reads them instead of LISTing again).
   */
  async startInformers(): Promise<void> {
    this.#informersStarted = true;
    for (const informer of this.#informers.values()) informer.start();
    await Promise.all([...this.#informers.values()].map((i) => i.hasSynced()));
  }

  /** Starts informers (unless started), waits for their first list, then starts the workers. */
  async start(): Promise<void> {
    await this.startInformers();
    this.#started = true;
    for (const c of this.#controllers) c.start();
  }

  async stop(): Promise<void> {
    for (const informer of this.#informers.values()) informer.stop();
    await Promise.all(this.#controllers.map((c) => c.stop()));
  }
}
