#!/usr/bin/env node
// The velero binary: the CLI and `velero server`. The real world is wired in cli/default-deps.ts.
import { defaultDeps } from "./cli/default-deps.js";
import { runCli } from "./cli/program.js";

// `velero backup get | head` closes the pipe early: that is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}

// No top-level await: the bundled single-executable build (CommonJS) cannot use it.
runCli(process.argv.slice(2), defaultDeps()).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`An error occurred: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
