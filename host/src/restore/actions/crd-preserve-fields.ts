/**
 * velero.io/crd-preserve-fields: an apiextensions v1 CRD with spec.preserveUnknownFields=true
 * (invalid in v1) gets false there and x-kubernetes-preserve-unknown-fields on each version's schema.
 */
import type { RestoreItemAction, RestoreItemActionInput, RestoreItemActionOutput } from "@velero-ts/plugin-sdk";
import { asObj, clone, logged, output, selectorFor, type Obj } from "./common.js";

export class CrdPreserveFieldsAction implements RestoreItemAction {
  async appliesTo() {
    return selectorFor(["customresourcedefinition.apiextensions.k8s.io"]);
  }

  execute(input: RestoreItemActionInput): Promise<RestoreItemActionOutput> {
    return logged("Executing CRDV1PreserveUnknownFieldsAction", undefined, () => this.#execute(input));
  }

  #execute(input: RestoreItemActionInput): RestoreItemActionOutput {
    if (input.item.apiVersion !== "apiextensions.k8s.io/v1") return output(input.item);
    const crd = clone(input.item);
    const spec = asObj(crd.spec);
    if (spec?.preserveUnknownFields !== true) return output(crd);
    spec.preserveUnknownFields = false;
    for (const v of (spec.versions as Obj[] | undefined) ?? []) {
      const schema = asObj(asObj(v.schema)?.openAPIV3Schema);
      if (schema) schema["x-kubernetes-preserve-unknown-fields"] = true;
    }
    return output(crd);
  }
}
