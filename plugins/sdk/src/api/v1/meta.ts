/**
 * The Kubernetes meta/v1 and core/v1 shapes the velero.io/v1 types use, as they arrive in JSON
 * (times are RFC 3339 strings). The SDK declares them itself so that its public types need no
 * Kubernetes client library: a plugin author's type-check sees only these.
 */

/** meta/v1 ObjectMeta. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  /** RFC 3339, set by the API server. */
  creationTimestamp?: string;
  /** RFC 3339; present while the object is being deleted. */
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: ManagedFieldsEntry[];
  selfLink?: string;
}

/** meta/v1 OwnerReference. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** meta/v1 ManagedFieldsEntry. */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  /** RFC 3339. */
  time?: string;
  fieldsType?: string;
  fieldsV1?: unknown;
  subresource?: string;
}

/** meta/v1 LabelSelector: both parts must match (an empty selector matches everything). */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** One matchExpressions entry; `operator` is In, NotIn, Exists or DoesNotExist. */
export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

/** core/v1 SecretKeySelector: one key of a Secret in the object's namespace. */
export interface SecretKeySelector {
  name?: string;
  key: string;
  optional?: boolean;
}

/** core/v1 TypedLocalObjectReference: an object in the same namespace. */
export interface TypedLocalObjectReference {
  apiGroup?: string;
  kind: string;
  name: string;
}
