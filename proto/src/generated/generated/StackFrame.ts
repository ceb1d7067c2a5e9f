// Original file: velero/Shared.proto


export interface StackFrame {
  'file'?: (string);
  'line'?: (number);
  'function'?: (string);
}

export interface StackFrame__Output {
  'file': (string);
  'line': (number);
  'function': (string);
}
