/** Label selectors: the SDK's (one parser for the host and for plugin authors' conformance suites). */
export { fromLabelSelector, formatLabelSelector, LABEL_KEY, LABEL_VALUE, labelSelectorError, MATCH_EVERYTHING as EVERYTHING, parseLabelSelector } from "@velero-ts/plugin-sdk";
export type { LabelMatcher as LabelSelector } from "@velero-ts/plugin-sdk";
