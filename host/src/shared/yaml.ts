/**
 * The `yaml` package's values the host uses, and the only module that imports them at run time
 * (types may be imported from the package). `npm run build` replaces this module's compiled
 * output, host/dist/shared/yaml.js, with a single-file bundle of the same exports
 * (scripts/bundle-vendor.ts): node would otherwise resolve and link the package's ~70 files one by
 * one at every CLI command. Whenever tsc writes the file again, it is this plain re-export.
 */
export { Document, isAlias, isMap, isScalar, isSeq, LineCounter, parse, parseAllDocuments, visit, YAMLParseError } from "yaml";
