/**
 * velero.io/dataupload: a backup's DataUploads (CSI snapshot data movement) are always in a restore
 * (Velero restores them whatever the filters say) and Velero's action turns each into the record its
 * DataDownloads read, never creating the DataUpload itself. velero-ts has no data mover, so nothing
 * reads that record: the DataUpload is skipped, so that no status-less DataUpload appears in the
 * cluster for a node agent to take as a new upload.
 */
import type { RestoreItemAction, RestoreItemActionInput, RestoreItemActionOutput } from "@velero-ts/plugin-sdk";
import { logged, output, selectorFor } from "./common.js";

export const DATA_UPLOAD = "velero.io/dataupload";

export class DataUploadRetrieveAction implements RestoreItemAction {
  async appliesTo() {
    return selectorFor(["datauploads.velero.io"]);
  }

  execute(input: RestoreItemActionInput): Promise<RestoreItemActionOutput> {
    return logged("Executing DataUploadRetrieveAction", undefined, () => output(input.item, [], true));
  }
}
