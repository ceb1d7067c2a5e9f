#!/usr/bin/env node
// The velero binary: CLI and server.
process.stdout.write("velero-ts: CLI not built yet\n");
