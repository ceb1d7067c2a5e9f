/** Error classification for KubeClient calls (the adapter throws KubeApiError). */
export { isAlreadyExists, isConflict, isNotFound } from "../kube/errors.js";

/**
 * A Service create that failed only because its node ports are taken (Velero issue 2308); the
 * caller then checks whether the Service itself exists.
 */
export function isPortAllocatedError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return (err as Error & { statusCode?: unknown }).statusCode === 422 && err.message.includes("provided port is already allocated");
}
