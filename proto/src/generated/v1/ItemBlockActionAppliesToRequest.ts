// Original file: velero/itemblockaction/v1/ItemBlockAction.proto


export interface ItemBlockActionAppliesToRequest {
  'plugin'?: (string);
}

export interface ItemBlockActionAppliesToRequest__Output {
  'plugin': (string);
}
