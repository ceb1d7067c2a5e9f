/** The name Velero gives a hook defined by pod annotations (its hook status and logs show it). */
export const ANNOTATION_HOOK_NAME = "<from-annotation>";
