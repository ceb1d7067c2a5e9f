// Original file: velero/ObjectStore.proto


/**
 * Full prefixes including the trailing delimiter, one level below the requested prefix.
 */
export interface ListCommonPrefixesResponse {
  'prefixes'?: (string)[];
}

/**
 * Full prefixes including the trailing delimiter, one level below the requested prefix.
 */
export interface ListCommonPrefixesResponse__Output {
  'prefixes': (string)[];
}
