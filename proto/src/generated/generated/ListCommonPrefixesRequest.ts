// Original file: velero/ObjectStore.proto


/**
 * Note the field order: delimiter is 3, prefix is 4.
 */
export interface ListCommonPrefixesRequest {
  'plugin'?: (string);
  'bucket'?: (string);
  'delimiter'?: (string);
  'prefix'?: (string);
}

/**
 * Note the field order: delimiter is 3, prefix is 4.
 */
export interface ListCommonPrefixesRequest__Output {
  'plugin': (string);
  'bucket': (string);
  'delimiter': (string);
  'prefix': (string);
}
