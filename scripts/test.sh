#!/usr/bin/env bash
# The README's test command (`npm test`): bootstraps Node 24, npm ci and the build, installs and
# builds the real test peers (cached outside the repo), then runs every vitest project against one
# local environment and prints which suites ran and a closing "N passed, N failed" line.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
start=$(date +%s)
source scripts/bootstrap.sh
# The build (tsc -b) leaves test files out; they, the test helpers and the benchmarks are
# type-checked here so a changed signature fails at once instead of at run time in a fake.
echo "== typecheck: tests, test helpers and benchmarks (tsc -p tsconfig.test.json) =="
npx tsc -p tsconfig.test.json
echo "== peers: installing/building (cached in ${PEERS_HOME:-/var/cache/velero-ts-peers}) =="
bash scripts/peers-install.sh
echo "== peers ready after $(( $(date +%s) - start ))s =="

report=$(mktemp /tmp/vt-vitest-report.XXXXXX.json)
# Every temp file and dir the suites, the server under test and its plugins create goes under one
# per-run dir (os.tmpdir() follows TMPDIR), removed when the run passes and kept for inspection
# when it fails: a machine that runs CI all day must not collect thousands of them in /tmp.
run_tmp=$(mktemp -d /tmp/vt-test-run.XXXXXX)
set +e
TMPDIR="$run_tmp" npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@"
rc=$?
set -e
node scripts/test-summary.ts "$report" || rc=1
rm -f "$report"
if [ "$rc" -eq 0 ]; then rm -rf "$run_tmp"; else echo "== kept the run's temp dir for inspection: $run_tmp =="; fi
echo "== total time $(( $(date +%s) - start ))s =="
exit $rc
