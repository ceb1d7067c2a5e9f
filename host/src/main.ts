#!/usr/bin/env node
// The velero binary: the CLI and `velero server`. Everything real is wired in cli/default-deps.ts.
import { runCli } from "./cli/program.js";
import { defaultDeps } from "./cli/default-deps.js";

process.exitCode = await runCli(process.argv.slice(2), defaultDeps());
