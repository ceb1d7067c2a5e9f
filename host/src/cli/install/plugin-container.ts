/**
 * Plugin init containers, as `velero install --plugins` and `velero plugin add` create them:
 * one per image, named from the image, mounting the shared `plugins` emptyDir at /target. The
 * image's entrypoint copies its plugin executable into /target (the velero container sees it
 * under /plugins).
 */
import { validLabelValue } from "../names.js";

export interface PluginContainer {
  name: string;
  image: string;
  imagePullPolicy: string;
  volumeMounts: { name: string; mountPath: string }[];
}

/**
 * Velero's builder getName: drop the registry (text before the first "/") when the image has two
 * or more slashes, drop the tag or digest, replace "/", "_" and "." with "-", and shorten names
 * over 63 characters to 57 characters + 6 hex digits of their SHA-256.
 * e.g. velero/velero-plugin-for-aws:v1.13.0 -> velero-velero-plugin-for-aws.
 */
export function pluginContainerName(image: string): string {
  const slashIndex = image.indexOf("/");
  const slashCount = slashIndex >= 0 ? image.slice(slashIndex).split("/").length - 1 : 0;
  const start = slashCount > 1 || slashIndex === 0 ? slashIndex + 1 : 0;
  let end = image.length;
  const at = image.lastIndexOf("@");
  if (at > 0) end = at;
  else {
    const colon = image.lastIndexOf(":");
    if (colon > 0) end = colon;
  }
  return validLabelValue(image.slice(start, end).replace(/[/_.]/g, "-"));
}

/** Velero pulls "image:tag" (tag not latest) IfNotPresent, everything else Always. */
export function defaultPullPolicy(image: string): string {
  const parts = image.split(":");
  return parts.length === 2 && parts[1] !== "latest" ? "IfNotPresent" : "Always";
}

export function pluginContainer(image: string, pullPolicy: string): PluginContainer {
  return { name: pluginContainerName(image), image, imagePullPolicy: pullPolicy, volumeMounts: [{ name: "plugins", mountPath: "/target" }] };
}
