/** SideFiles backed by DownloadRequests (what describe --details reads). */
import type { DownloadTargetKind } from "@velero-ts/plugin-sdk";
import { downloadJson } from "./download-request.js";
import type { Factory } from "./factory.js";
import type { SideFiles } from "./output/describe-common.js";

/** Velero's describers give each download 30 seconds. */
export const DESCRIBE_DOWNLOAD_TIMEOUT_MS = 30_000;

export function downloadSideFiles(f: Factory): SideFiles {
  return {
    json: <T>(kind: DownloadTargetKind, name: string) => downloadJson<T>(f, kind, name, DESCRIBE_DOWNLOAD_TIMEOUT_MS),
  };
}
