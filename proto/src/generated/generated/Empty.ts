// Original file: velero/Shared.proto


/**
 * Zero-byte message used as an empty request or reply (wire-identical to google.protobuf.Empty).
 */
export interface Empty {
}

/**
 * Zero-byte message used as an empty request or reply (wire-identical to google.protobuf.Empty).
 */
export interface Empty__Output {
}
