// Original file: velero/PluginLister.proto

import type { PluginIdentifier as _generated_PluginIdentifier, PluginIdentifier__Output as _generated_PluginIdentifier__Output } from '../generated/PluginIdentifier.js';

export interface ListPluginsResponse {
  'plugins'?: (_generated_PluginIdentifier)[];
}

export interface ListPluginsResponse__Output {
  'plugins': (_generated_PluginIdentifier__Output)[];
}
