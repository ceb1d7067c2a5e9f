/** Host-only errors. Plugin-facing errors live in @velero-ts/plugin-sdk. */
import { VeleroError } from "@velero-ts/plugin-sdk";

/** A CLI usage problem (bad flag, bad value): exit code 2. */
export class UsageError extends VeleroError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("VELERO_USAGE", message, options);
  }
}

/** The cluster or a required object could not be reached. */
export class ClusterError extends VeleroError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("VELERO_CLUSTER", message, options);
  }
}

/** How an error that the Kubernetes API server could not be reached begins (the CLI adds nothing to one that says it). */
export const API_SERVER_UNREACHABLE = "cannot reach the Kubernetes API server";
