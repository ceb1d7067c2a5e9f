/** velero plugin add IMAGE: adds an init container that copies the plugin into /plugins. */
import { Command } from "commander";
import { actionFor, addValueFlag, type Verb } from "../command-kit.js";
import { getConfirmation } from "../confirm.js";
import type { Factory } from "../factory.js";
import { parseEnum } from "../flags/values.js";
import { pluginContainer } from "../install/plugin-container.js";
import { GVR } from "../resources.js";
import { bindConfirmFlag } from "../select-kit.js";
import { findVeleroDeployment, podSpecOf, type PodSpecLike } from "./deployment.js";

/** Pure: the pod spec fields to patch so the deployment gets the plugin (and the plugins volume if missing). */
export function podSpecWithPlugin(spec: PodSpecLike, image: string, pullPolicy: string): Pick<PodSpecLike, "initContainers" | "volumes" | "containers"> {
  const volumes = [...(spec.volumes ?? [])];
  const containers = spec.containers.map((c) => ({ ...c }));
  if (!volumes.some((v) => v.name === "plugins")) {
    volumes.push({ name: "plugins", emptyDir: {} });
    const velero = containers.find((c) => c.name === "velero");
    if (velero) velero.volumeMounts = [...(velero.volumeMounts ?? []), { name: "plugins", mountPath: "/plugins" }];
  }
  return { initContainers: [...(spec.initContainers ?? []), { ...pluginContainer(image, pullPolicy) }], volumes, containers };
}

class AddPlugin implements Verb {
  readonly #f: Factory;
  image = "";
  pullPolicy = "IfNotPresent";
  confirm = false;
  constructor(f: Factory) {
    this.#f = f;
  }
  complete(args: string[], flags: { imagePullPolicy?: string; confirm?: boolean }): void {
    this.image = args[0] ?? "";
    this.pullPolicy = flags.imagePullPolicy ?? "IfNotPresent";
    this.confirm = flags.confirm === true;
  }
  validate(): void {}
  async run(): Promise<void> {
    const f = this.#f;
    if (
      !this.confirm &&
      !(await getConfirmation(f, "velero plugin add may cause the Velero server pod restart, so it is a dangerous operation", "once Velero server restarts, all the ongoing jobs will fail."))
    ) {
      return;
    }
    const deploy = await findVeleroDeployment(f);
    const patch = podSpecWithPlugin(podSpecOf(deploy), this.image, this.pullPolicy);
    await (await f.kube()).patch(GVR.deployments, deploy.metadata.name, deploy.metadata.namespace, { spec: { template: { spec: patch } } });
  }
}

export function newPluginAddCommand(f: Factory): Command {
  const cmd = new Command("add").description("Add a plugin").argument("<IMAGE>", "plugin image");
  addValueFlag(cmd, "--image-pull-policy <policy>", "The imagePullPolicy for the plugin container. Valid values are Always, IfNotPresent, Never.", (v) => parseEnum("--image-pull-policy", v, ["Always", "IfNotPresent", "Never"]), "IfNotPresent");
  bindConfirmFlag(cmd, "Confirm add?, may cause the Velero server pod restart which will fail all ongoing jobs");
  return cmd.action(actionFor(f, () => new AddPlugin(f)));
}
