import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "unit",
    include: ["proto/src/**/*.test.ts", "plugins/*/src/**/*.test.ts", "host/src/**/*.test.ts"],
    testTimeout: 30_000,
  },
});
