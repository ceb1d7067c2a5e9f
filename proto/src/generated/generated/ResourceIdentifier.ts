// Original file: velero/Shared.proto


/**
 * Identifies one Kubernetes object. group is "" for the core group; resource is the plural name.
 */
export interface ResourceIdentifier {
  'group'?: (string);
  'resource'?: (string);
  'namespace'?: (string);
  'name'?: (string);
}

/**
 * Identifies one Kubernetes object. group is "" for the core group; resource is the plural name.
 */
export interface ResourceIdentifier__Output {
  'group': (string);
  'resource': (string);
  'namespace': (string);
  'name': (string);
}
