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

process.exitCode = await runCli(process.argv.slice(2), defaultDeps());
