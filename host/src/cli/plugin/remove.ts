/** velero plugin remove NAME|IMAGE: removes the plugin's init container. */
import { Command } from "commander";
import { NotFoundError } from "@velero-ts/plugin-sdk";
import { actionFor, type Verb } from "../command-kit.js";
import type { Factory } from "../factory.js";
import { GVR } from "../resources.js";
import { findVeleroDeployment, podSpecOf } from "./deployment.js";

class RemovePlugin implements Verb {
  readonly #f: Factory;
  target = "";
  constructor(f: Factory) {
    this.#f = f;
  }
  complete(args: string[]): void {
    this.target = args[0] ?? "";
  }
  validate(): void {}
  async run(): Promise<void> {
    const f = this.#f;
    const deploy = await findVeleroDeployment(f);
    const initContainers = podSpecOf(deploy).initContainers ?? [];
    const index = initContainers.findIndex((c) => c.name === this.target || c.image === this.target);
    if (index < 0) {
      const known = initContainers.map((c) => `${c.name} (${c.image})`).join(", ") || "none";
      throw new NotFoundError(`init container ${this.target} not found in Velero server deployment; plugins installed: ${known}`);
    }
    const next = initContainers.filter((_, i) => i !== index);
    await (await f.kube()).patch(GVR.deployments, deploy.metadata.name, deploy.metadata.namespace, {
      spec: { template: { spec: { initContainers: next.length > 0 ? next : null } } },
    });
  }
}

export function newPluginRemoveCommand(f: Factory): Command {
  return new Command("remove").description("Remove a plugin").argument("<NAME | IMAGE>", "init container name or image").action(actionFor(f, () => new RemovePlugin(f)));
}
