// CustomResourceDefinitions for the integration suites: every version takes any object (no schema
// checks) and conversion is None, so the API server converts between versions by rewriting
// apiVersion only.
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";

export interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
}

export function schemalessCrd(options: {
  group: string;
  kind: string;
  plural: string;
  scope?: "Namespaced" | "Cluster";
  shortNames?: string[];
  /** Default: the kind in lower case. */
  singular?: string;
  versions?: CrdVersion[];
}): UnstructuredItem {
  const { group, kind, plural } = options;
  const schema = { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } };
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      names: { kind, listKind: `${kind}List`, plural, singular: options.singular ?? kind.toLowerCase(), ...(options.shortNames ? { shortNames: options.shortNames } : {}) },
      scope: options.scope ?? "Namespaced",
      conversion: { strategy: "None" },
      versions: (options.versions ?? [{ name: "v1", served: true, storage: true }]).map((v) => ({ ...v, schema })),
    },
  } as unknown as UnstructuredItem;
}
