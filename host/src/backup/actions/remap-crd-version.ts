/**
 * velero.io/crd-remap-version: a CRD read at apiextensions.k8s.io/v1 that was made through
 * v1beta1 (one version without a schema, a NonStructuralSchema condition, or
 * preserveUnknownFields) is backed up as its v1beta1 object, on clusters that still serve v1beta1
 * CRDs (Kubernetes before 1.22), so that it restores on such clusters as it was (Velero's
 * RemapCRDVersionAction). Not registered with EnableAPIGroupVersions, which backs up every version.
 */
import type { BackupItemAction, BackupItemActionOutput, ResourceSelector, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { emptyResourceSelector, getErrorMessage } from "@velero-ts/plugin-sdk";
import type { KubeClient } from "../../kube/client.js";
import { actionLog } from "../../shared/action-log.js";

const GROUP = "apiextensions.k8s.io";

interface CrdShape {
  spec?: { preserveUnknownFields?: boolean; versions?: { schema?: { openAPIV3Schema?: unknown } | null }[] };
  status?: { conditions?: { type?: string }[] };
}

export class RemapCrdVersionAction implements BackupItemAction {
  readonly #kube: KubeClient;

  constructor(kube: KubeClient) {
    this.#kube = kube;
  }

  async appliesTo(): Promise<ResourceSelector> {
    return { ...emptyResourceSelector(), includedResources: ["customresourcedefinitions"] };
  }

  async execute(item: UnstructuredItem): Promise<BackupItemActionOutput> {
    const log = actionLog();
    log?.info("Executing RemapCRDVersionAction");
    const unchanged = { item, additionalItems: [] };
    if (item.apiVersion !== `${GROUP}/v1`) {
      log?.info("Exiting RemapCRDVersionAction, CRD is not v1");
      return unchanged;
    }
    const servesBeta = (await this.#kube.discover()).some((r) => r.group === GROUP && r.version === "v1beta1" && r.resource === "customresourcedefinitions");
    if (!servesBeta) {
      log?.info("Exiting RemapCRDVersionAction, the cluster does not support v1beta1 CRD");
      return unchanged;
    }
    const crd = item as unknown as CrdShape;
    const first = crd.spec?.versions?.[0];
    const madeThroughBeta =
      (first !== undefined && !first.schema?.openAPIV3Schema) ||
      (crd.status?.conditions ?? []).some((c) => c.type === "NonStructuralSchema") ||
      crd.spec?.preserveUnknownFields === true;
    const crdLog = log?.child({ plugin: "RemapCRDVersionAction", CRD: item.metadata.name });
    if (!madeThroughBeta) {
      crdLog?.info(`CustomResourceDefinition ${item.metadata.name} does not appear to be v1beta1, backing up as v1`);
      return unchanged;
    }
    crdLog?.info(`CustomResourceDefinition ${item.metadata.name} appears to be v1beta1, fetching the v1beta version`);
    let beta: UnstructuredItem | undefined;
    try {
      beta = await this.#kube.get({ group: GROUP, version: "v1beta1", resource: "customresourcedefinitions" }, item.metadata.name);
    } catch (err) {
      throw new Error(`error fetching v1beta1 version of ${item.metadata.name}: ${getErrorMessage(err)}`, { cause: err });
    }
    if (!beta) throw new Error(`error fetching v1beta1 version of ${item.metadata.name}: customresourcedefinitions.${GROUP} "${item.metadata.name}" not found`);
    return { item: { ...beta, apiVersion: `${GROUP}/v1beta1`, kind: "CustomResourceDefinition" }, additionalItems: [] };
  }
}
