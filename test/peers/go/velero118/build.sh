#!/usr/bin/env bash
# Builds peer set velero118 into OUTDIR: real Velero v1.18.1 (`velero`: server, CLI, run-plugins) and the
# Go velero-plugin-for-aws v1.14.3 (the line that pairs with Velero 1.18). Used by
# test/integration/velero-compat (real Velero side by side with velero-ts) and
# test/plugin-protocol/go-aws-plugin.test.ts (a Go plugin under our host). Module caches come from
# test/peers/go/env.sh (outside the repo).
#   bash test/peers/go/velero118/build.sh OUTDIR   -> OUTDIR/velero, OUTDIR/velero-plugin-for-aws
# scripts/peers-install.sh builds the same two binaries with the same ldflags (step velero118) and records
# them in peers.json as bin.velero and bin.veleroPluginForAws.
# go.mod notes: the module proxy refuses (403) k8s.io/cli-runtime, kube-aggregator and metrics at v0.33.11,
# which velero v1.18.1 requires, so every k8s.io staging module is replaced by v0.33.13 (served for all);
# kopia is replaced by Velero's fork exactly as in Velero's own go.mod.
set -euo pipefail
DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${1:?usage: build.sh OUTDIR}
# shellcheck source=../env.sh
source "$DIR/../env.sh"
mkdir -p "$OUT"
cd "$DIR"
VELERO_VERSION=$(awk '$1 == "github.com/vmware-tanzu/velero" && $2 != "=>" { print $2; exit }' go.mod)
BI=github.com/vmware-tanzu/velero/pkg/buildinfo
# Velero leaves controller-runtime's own metrics server at its default, ":8080" on every interface, with
# no flag to move it; "0" switches that server off (Velero's metrics stay on --metrics-address).
CR_METRICS=sigs.k8s.io/controller-runtime/pkg/metrics/server.DefaultBindAddress
go build -mod=readonly -ldflags "-s -w -X $BI.Version=$VELERO_VERSION -X $BI.GitSHA=release -X $BI.GitTreeState=clean -X $CR_METRICS=0" \
  -o "$OUT/velero" github.com/vmware-tanzu/velero/cmd/velero
go build -mod=readonly -ldflags '-s -w' -o "$OUT/velero-plugin-for-aws" github.com/vmware-tanzu/velero-plugin-for-aws/velero-plugin-for-aws
