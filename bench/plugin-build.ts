// Builds the fixture plugin executable for the plugin benchmarks (kept apart from plugin-common.ts
// so that processes hosting plugins do not load esbuild and the build scripts).
export { buildFixturePlugin } from "../test/plugin-protocol/helpers.js";
