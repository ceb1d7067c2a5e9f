// Original file: velero/itemblockaction/v1/ItemBlockAction.proto


export interface ItemBlockActionGetRelatedItemsRequest {
  'plugin'?: (string);
  'item'?: (Buffer | Uint8Array | string);
  'backup'?: (Buffer | Uint8Array | string);
}

export interface ItemBlockActionGetRelatedItemsRequest__Output {
  'plugin': (string);
  'item': (Buffer);
  'backup': (Buffer);
}
