// Original file: velero/Shared.proto

import type { StackFrame as _generated_StackFrame, StackFrame__Output as _generated_StackFrame__Output } from '../generated/StackFrame.js';

/**
 * Stack is attached as a google.rpc.Status detail (type.googleapis.com/generated.Stack) to errors.
 */
export interface Stack {
  'frames'?: (_generated_StackFrame)[];
}

/**
 * Stack is attached as a google.rpc.Status detail (type.googleapis.com/generated.Stack) to errors.
 */
export interface Stack__Output {
  'frames': (_generated_StackFrame__Output)[];
}
