/**
 * Velero's built-in restore item actions (velero-compat.md 6.2), in Velero's registration order.
 * The plugin manager serves them in process (and `velero run-plugins` out of process); the
 * composition root registers them with `builtinRestoreItemActions(deps)`.
 */
import type { RestoreItemAction } from "@velero-ts/plugin-sdk";
import { AddPvcFromPodAction } from "./add-pvc-from-pod.js";
import { AdmissionWebhookConfigurationAction } from "./admission-webhook-configuration.js";
import { ApiServiceAction } from "./apiservice.js";
import { ChangeImageNameAction, CHANGE_IMAGE_NAME } from "./change-image-name.js";
import { ChangeStorageClassAction, CHANGE_STORAGE_CLASS } from "./change-storage-class.js";
import type { BuiltinActionDeps } from "./common.js";
import { CrdPreserveFieldsAction } from "./crd-preserve-fields.js";
import { DataUploadRetrieveAction, DATA_UPLOAD } from "./dataupload.js";
import { InitRestoreHookPodAction } from "./init-restore-hook.js";
import { JobAction } from "./job.js";
import { PodAction } from "./pod.js";
import { PodVolumeRestoreAction, POD_VOLUME_RESTORE } from "./pod-volume-restore.js";
import { PvcAction } from "./pvc.js";
import { ClusterRoleBindingAction, RoleBindingAction } from "./role-bindings.js";
import { SecretAction } from "./secret.js";
import { ServiceAccountAction } from "./service-account.js";
import { ServiceAction } from "./service.js";

export { asRestoreItemActionV2, type BuiltinActionDeps } from "./common.js";

export interface BuiltinRestoreItemAction {
  name: string;
  create(): RestoreItemAction;
}

export function builtinRestoreItemActions(deps: BuiltinActionDeps): BuiltinRestoreItemAction[] {
  const entries: [string, () => RestoreItemAction][] = [
    ["velero.io/job", () => new JobAction()],
    ["velero.io/pod", () => new PodAction()],
    [POD_VOLUME_RESTORE, () => new PodVolumeRestoreAction()],
    ["velero.io/init-restore-hook", () => new InitRestoreHookPodAction()],
    ["velero.io/service", () => new ServiceAction()],
    ["velero.io/service-account", () => new ServiceAccountAction()],
    ["velero.io/add-pvc-from-pod", () => new AddPvcFromPodAction()],
    [CHANGE_STORAGE_CLASS, () => new ChangeStorageClassAction(deps)],
    [CHANGE_IMAGE_NAME, () => new ChangeImageNameAction(deps)],
    ["velero.io/role-bindings", () => new RoleBindingAction()],
    ["velero.io/cluster-role-bindings", () => new ClusterRoleBindingAction()],
    ["velero.io/crd-preserve-fields", () => new CrdPreserveFieldsAction()],
    ["velero.io/pvc", () => new PvcAction()],
    ["velero.io/apiservice", () => new ApiServiceAction()],
    ["velero.io/admission-webhook-configuration", () => new AdmissionWebhookConfigurationAction()],
    ["velero.io/secret", () => new SecretAction(deps)],
    [DATA_UPLOAD, () => new DataUploadRetrieveAction()],
  ];
  return entries.map(([name, create]) => ({ name, create }));
}
