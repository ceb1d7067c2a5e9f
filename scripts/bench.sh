#!/usr/bin/env bash
# `npm run bench [-- <section>...]`: runs the benchmarks and appends their results to
# bench/RESULTS.md (date, machine, command). One section per benchmark; no argument runs all.
#   plugin   plugin protocol: BackupItemAction.Execute latency/rate, PutObject/GetObject 1 GiB
#   backup   10,000 ConfigMaps+Secrets backed up through the server vs LIST + PUT (needs the test peers;
#            uses $VT_ENV_DIR or starts and stops its own environment)
#   large    300 Secrets of 900 KiB (Helm-release-like) backed up through the server: wall, CPU, peak RSS
#            above the idle server (needs the test peers, like backup)
#   engine   the backup engine alone: CPU per backup of the same 10,000 objects with no API server
#            (LIST bodies parsed from memory), to compare versions of the engine without the noise
#            of the API server's CPU on the same cores
#   small    the latency of small backups: one namespace of 40 objects backed up whole, 20 times
#            (needs the test peers, like backup)
#   restore  the same 10,000 objects restored into an empty cluster through the server vs a tight
#            CREATE loop (needs the test peers, like backup)
#   api      the requests the server sends the API server: a start beside 200 Backups and 50 Restores,
#            a backup, its restore, its deletion, two idle minutes (needs the test peers, like backup)
#   server-memory  `velero server` as its own process (the built CLI) in a 512 MiB memory cgroup when
#            it can make one: peak RSS idle, during two backups of the backup benchmark's objects and
#            during their restore (needs the test peers, like backup)
#   velero   the backup benchmark's 10,000 objects backed up and restored by real Velero v1.18.1 and by velero-ts,
#            both to moto S3 (needs the test peers and the real Velero peers of scripts/peers-install.sh)
# Benchmarks are TypeScript files bundled with esbuild (node_modules stay external) into bench/tmp/
# and run with node, so they need the workspace packages built (tsc -b) but not host/dist.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(node_major)" -lt 22 ]; then source scripts/bootstrap.sh --no-build; fi
SECTIONS=("$@")
[ ${#SECTIONS[@]} -gt 0 ] || SECTIONS=(plugin backup engine large small restore api server-memory velero)

run_ts() { # run_ts bench/x.ts: bundle and run one benchmark file
  local src=$1 out=bench/tmp/$(basename "${1%.ts}").mjs
  mkdir -p bench/tmp
  npx esbuild "$src" --bundle --platform=node --format=esm --packages=external --log-level=warning --outfile="$out"
  node "$out"
}

run_cluster_ts() { # run_cluster_ts <section> bench/x.ts: a benchmark against the test peers
  echo "== bench: $1 (through the real API server) ==" >&2
  npx tsc -b plugins/sdk
  local started_env= rc=0
  if [ -z "${VT_ENV_DIR:-}" ]; then
    VT_ENV_DIR=$(mktemp -d /tmp/vt.XXXXXX); export VT_ENV_DIR; started_env=1
    node test/peers/env.ts up --dir "$VT_ENV_DIR" >&2
  fi
  run_ts "$2" || rc=$?
  if [ -n "$started_env" ]; then node test/peers/env.ts down --dir "$VT_ENV_DIR" >&2 || true; unset VT_ENV_DIR; fi
  return $rc
}

for section in "${SECTIONS[@]}"; do
  case $section in
    plugin)
      echo "== bench: plugin (needs the SDK built: npx tsc -b plugins/sdk) ==" >&2
      npx tsc -b plugins/sdk
      run_ts bench/plugin-unary.ts
      run_ts bench/plugin-stream.ts
      ;;
    backup) run_cluster_ts backup bench/backup-10k.ts ;;
    engine)
      echo "== bench: engine (no test peers needed) ==" >&2
      npx tsc -b plugins/sdk
      run_ts bench/backup-engine.ts
      ;;
    large) run_cluster_ts large bench/backup-large.ts ;;
    small) run_cluster_ts small bench/backup-small.ts ;;
    restore) run_cluster_ts restore bench/restore-10k.ts ;;
    api) run_cluster_ts api bench/api-load.ts ;;
    server-memory)
      npm run build >&2 # the server runs as the built CLI
      run_cluster_ts server-memory bench/server-memory.ts
      ;;
    velero) run_cluster_ts velero bench/velero-10k.ts ;;
    *) echo "bench: unknown section '$section' (known: plugin, backup, engine, large, small, restore, api, server-memory, velero)" >&2; exit 2 ;;
  esac
done
