/**
 * velero uninstall: deletes the finalizer-bearing Velero CRs first (restores), then the
 * namespace (waiting until it is gone), the ClusterRoleBinding and the CRDs labelled
 * component=velero — Velero's order, so CRDs never vanish under a terminating namespace.
 */
import { Command } from "commander";
import { ClusterError } from "../../shared/errors.js";
import { actionFor, addBoolFlag, type Verb } from "../command-kit.js";
import { getConfirmation } from "../confirm.js";
import { EXIT_CODES } from "../exit-codes.js";
import type { Factory } from "../factory.js";
import { GVR } from "../resources.js";
import { clusterRoleBindingName } from "./resources.js";

const POLL_MS = 1000;
/** Velero gives finalizer-bearing objects a minute before removing their finalizers. */
export const GRACEFUL_DELETION_MS = 60_000;
export const NAMESPACE_DELETION_TIMEOUT_MS = 300_000;

async function deleteRestores(f: Factory, namespace: string): Promise<void> {
  const kube = await f.kube();
  const crd = await kube.get(GVR.crds, "restores.velero.io");
  if (!crd) return;
  const { items } = await kube.list(GVR.restores, { namespace });
  for (const r of items) await kube.delete(GVR.restores, r.metadata.name, namespace);
  const deadline = f.deps.now().getTime() + GRACEFUL_DELETION_MS;
  for (;;) {
    const left = (await kube.list(GVR.restores, { namespace })).items;
    if (left.length === 0) return;
    if (f.deps.now().getTime() >= deadline) {
      // The controller that would process the finalizers is gone or stuck: drop them.
      for (const r of left) await kube.patch(GVR.restores, r.metadata.name, namespace, { metadata: { finalizers: null } });
      return;
    }
    f.out(".");
    await f.deps.sleep(POLL_MS);
  }
}

async function deleteNamespace(f: Factory, namespace: string): Promise<void> {
  const kube = await f.kube();
  if (!(await kube.get(GVR.namespaces, namespace))) {
    f.out(`Velero namespace "${namespace}" does not exist, skipping.\n`);
    return;
  }
  f.out("Waiting for resource with attached finalizer to be deleted\n");
  await deleteRestores(f, namespace);
  await kube.delete(GVR.namespaces, namespace);
  f.out(`\nWaiting for velero namespace "${namespace}" to be deleted\n`);
  const deadline = f.deps.now().getTime() + NAMESPACE_DELETION_TIMEOUT_MS;
  while (await kube.get(GVR.namespaces, namespace)) {
    if (f.deps.now().getTime() >= deadline) {
      throw new ClusterError(
        `namespace "${namespace}" is still terminating after ${NAMESPACE_DELETION_TIMEOUT_MS / 1000}s; check 'kubectl get namespace ${namespace} -o yaml' for stuck finalizers, then run 'velero uninstall' again`,
      );
    }
    f.out(".");
    await f.deps.sleep(POLL_MS);
  }
  f.out(`\nVelero namespace "${namespace}" deleted\n`);
}

class Uninstall implements Verb {
  readonly #f: Factory;
  force = false;
  wait = false;
  constructor(f: Factory) {
    this.#f = f;
  }
  complete(_args: string[], flags: { force?: boolean; wait?: boolean }): void {
    this.force = flags.force === true;
    this.wait = flags.wait === true;
  }
  validate(): void {}
  async run(): Promise<number> {
    const f = this.#f;
    if (this.wait) f.out('Warning: the "--wait" option is deprecated and will be removed in a future release. The uninstall command always waits for the uninstall to complete.\n');
    if (!this.force) {
      f.out("You are about to uninstall Velero.\n");
      if (!(await getConfirmation(f))) return EXIT_CODES.ok;
    }
    const namespace = f.namespace();
    const kube = await f.kube();
    await deleteNamespace(f, namespace);
    const crbName = clusterRoleBindingName(namespace);
    if (await kube.get(GVR.clusterRoleBindings, crbName)) await kube.delete(GVR.clusterRoleBindings, crbName);
    else f.out(`Velero ClusterRoleBinding "${crbName}" does not exist, skipping.\n`);
    const crds = (await kube.list(GVR.crds, { labelSelector: "component=velero" })).items;
    if (crds.length === 0) f.out("V1 Velero CRDs not found, skipping...\n");
    for (const crd of crds) await kube.delete(GVR.crds, crd.metadata.name);
    f.out("Velero uninstalled ⛵\n");
    return EXIT_CODES.ok;
  }
}

export function newUninstallCommand(f: Factory): Command {
  const cmd = new Command("uninstall")
    .summary("Uninstall Velero")
    .description(
      "Uninstall Velero along with the CRDs and clusterrolebinding.\n\nThe '--namespace' flag can be used to specify the namespace where velero is installed (default: velero). Use '--force' to skip the prompt confirming if you want to uninstall Velero.",
    )
    .addHelpText("after", "\nExamples:\n  # velero uninstall --namespace staging");
  addBoolFlag(cmd, "--wait", "Wait for Velero uninstall to be ready. Optional. Deprecated.");
  addBoolFlag(cmd, "--force", "Forces the Velero uninstall. Optional.");
  return cmd.action(actionFor(f, () => new Uninstall(f)));
}
