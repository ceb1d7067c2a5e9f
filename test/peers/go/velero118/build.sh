#!/usr/bin/env bash
# Builds peer set velero118 into OUTDIR: the real Go velero-plugin-for-aws (v1.14.3, the line that
# pairs with Velero 1.18), used by test/plugin-protocol/go-aws-plugin.test.ts to prove our host
# drives Go plugins. Module caches come from test/peers/go/env.sh (outside the repo).
#   bash test/peers/go/velero118/build.sh OUTDIR      -> OUTDIR/velero-plugin-for-aws
# scripts/peers-install.sh can call it, or use its build_set with
#   BUILDS=("-s -w|github.com/vmware-tanzu/velero-plugin-for-aws/velero-plugin-for-aws")
# and record OUTDIR/velero-plugin-for-aws in peers.json as bin.veleroPluginForAws.
# Note: the velero binary itself (github.com/vmware-tanzu/velero/cmd/velero@v1.18.1) is not in
# this go.mod: the module proxy here answers 403 for k8s.io/cli-runtime@v0.33.11 and
# k8s.io/kube-aggregator@v0.33.11, which it needs.
set -euo pipefail
DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${1:?usage: build.sh OUTDIR}
# shellcheck source=../env.sh
source "$DIR/../env.sh"
mkdir -p "$OUT"
cd "$DIR"
go build -mod=readonly -ldflags '-s -w' -o "$OUT/velero-plugin-for-aws" github.com/vmware-tanzu/velero-plugin-for-aws/velero-plugin-for-aws
