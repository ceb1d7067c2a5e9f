// Original file: velero/Shared.proto


/**
 * What an item action applies to. Empty lists mean "all"; selector uses label-selector syntax.
 */
export interface ResourceSelector {
  'includedNamespaces'?: (string)[];
  'excludedNamespaces'?: (string)[];
  'includedResources'?: (string)[];
  'excludedResources'?: (string)[];
  'selector'?: (string);
}

/**
 * What an item action applies to. Empty lists mean "all"; selector uses label-selector syntax.
 */
export interface ResourceSelector__Output {
  'includedNamespaces': (string)[];
  'excludedNamespaces': (string)[];
  'includedResources': (string)[];
  'excludedResources': (string)[];
  'selector': (string);
}
