import { defineConfig } from "vitest/config";

// One environment (real control plane + emulators) per run, started by the global setup and
// shared by the env, plugin-protocol, integration and e2e projects. Unit tests need none of it
// (vitest.unit.config.ts runs them alone).
const UNIT = ["proto/src/**/*.test.ts", "plugins/*/src/**/*.test.ts", "host/src/**/*.test.ts"];

export default defineConfig({
  test: {
    globalSetup: ["test/helpers/global-setup.ts"],
    maxWorkers: 2,
    projects: [
      { test: { name: "unit", include: UNIT, testTimeout: 30_000 } },
      { test: { name: "env", include: ["test/env/**/*.test.ts"], testTimeout: 180_000, hookTimeout: 180_000 } },
      { test: { name: "plugin-protocol", include: ["test/plugin-protocol/**/*.test.ts"], testTimeout: 180_000, hookTimeout: 180_000 } },
      { test: { name: "integration", include: ["test/integration/**/*.test.ts"], testTimeout: 300_000, hookTimeout: 300_000 } },
      { test: { name: "e2e", include: ["test/e2e/**/*.test.ts"], testTimeout: 600_000, hookTimeout: 300_000 } },
    ],
  },
});
