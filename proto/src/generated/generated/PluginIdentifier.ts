// Original file: velero/PluginLister.proto


export interface PluginIdentifier {
  'command'?: (string);
  'kind'?: (string);
  'name'?: (string);
}

export interface PluginIdentifier__Output {
  'command': (string);
  'kind': (string);
  'name': (string);
}
