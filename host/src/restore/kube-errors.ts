/** Error classification for KubeClient calls (the adapter throws KubeApiError). */
export { isAlreadyExists, isConflict, isNotFound } from "../kube/errors.js";
