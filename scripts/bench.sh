#!/usr/bin/env bash
# `npm run bench [-- <section>...]`: runs the benchmarks and appends their results to
# bench/RESULTS.md (date, machine, command). One section per benchmark; no argument runs all.
#   plugin   plugin protocol: BackupItemAction.Execute latency/rate, PutObject/GetObject 1 GiB
# Benchmarks are TypeScript files bundled with esbuild (node_modules stay external) into bench/tmp/
# and run with node, so they need the workspace packages built (tsc -b) but not host/dist.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(node_major)" -lt 22 ]; then source scripts/bootstrap.sh --no-build; fi
SECTIONS=("$@")
[ ${#SECTIONS[@]} -gt 0 ] || SECTIONS=(plugin)

run_ts() { # run_ts bench/x.ts: bundle and run one benchmark file
  local src=$1 out=bench/tmp/$(basename "${1%.ts}").mjs
  mkdir -p bench/tmp
  npx esbuild "$src" --bundle --platform=node --format=esm --packages=external --log-level=warning --outfile="$out"
  node "$out"
}

for section in "${SECTIONS[@]}"; do
  case $section in
    plugin)
      echo "== bench: plugin (needs the SDK built: npx tsc -b plugins/sdk) ==" >&2
      npx tsc -b plugins/sdk
      run_ts bench/plugin-unary.ts
      run_ts bench/plugin-stream.ts
      ;;
    *) echo "bench: unknown section '$section' (known: plugin)" >&2; exit 2 ;;
  esac
done
