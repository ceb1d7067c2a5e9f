#!/usr/bin/env bash
# Installs every test peer the environment tool (test/peers/env.ts) starts, idempotently:
#   apt packages (restic, openssl, jq, curl, tar, ca-certificates)
#   Go sets test/peers/go/{etcd36,k8s136,csihostpath,velero118} -> $PEERS_HOME/bin/<set>-<hash12>/
#   fake-gcs-server (go install)                       -> $PEERS_HOME/bin/gcs-<version>-<hash12>/
#   moto server venv (PyPI)                            -> $PEERS_HOME/py/moto-<version>/
#   Azurite (npm)                                      -> $PEERS_HOME/npm/azurite-<version>/
# and writes $PEERS_HOME/peers.json, which the env tool reads to find them.
# Everything is built from registry packages by name; caches and binaries live outside the repo.
# Every step is skipped when its stamp (.ok, written last) is present. Guarded by flock.
# Usage: bash scripts/peers-install.sh [--only step,step]   (PEERS_HOME defaults to /var/cache/velero-ts-peers)
#   --only runs just the named steps (apt etcd36 k8s136 csihostpath velero118 fake-gcs moto azurite manifest); for development.
set -Eeuo pipefail

ONLY=
if [ "${1:-}" = "--only" ]; then ONLY=",${2:?--only needs a list},"; fi

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PEERS_SRC=$ROOT/test/peers
# shellcheck source=../test/peers/go/env.sh
source "$PEERS_SRC/go/env.sh"

GCS_VERSION=v1.55.1
MOTO_VERSION=5.2.5
AZURITE_VERSION=3.37.0
CSIHOSTPATH_VERSION=v0.1.0
APT_PACKAGES=(restic openssl jq curl tar ca-certificates)

T0=$(date +%s)
CURRENT_STEP=setup
LOGDIR=$PEERS_HOME/logs
mkdir -p "$PEERS_HOME" "$LOGDIR"

say() { printf 'peers-install: %s\n' "$*" >&2; }
die() { say "FAILED: $*"; exit 1; }
on_err() {
  local rc=$?
  [ "$BASH_SUBSHELL" -eq 0 ] || exit "$rc" # report once, from the top-level shell
  say "FAILED in step '$CURRENT_STEP' (exit $rc, line ${BASH_LINENO[0]})."
  if [ -n "${STEP_LOG:-}" ] && [ -f "$STEP_LOG" ]; then
    say "last lines of $STEP_LOG:"
    tail -n 40 "$STEP_LOG" >&2 || true
  fi
  exit "$rc"
}
trap on_err ERR

# step NAME CMD...: runs CMD with its output in $LOGDIR/NAME.log and prints the elapsed time.
TIMINGS=()
step() {
  local name=$1; shift
  if [ -n "$ONLY" ] && [[ $ONLY != *",$name,"* ]]; then return; fi
  CURRENT_STEP=$name
  STEP_LOG=$LOGDIR/$name.log
  local s; s=$(date +%s)
  "$@"
  local d=$(( $(date +%s) - s ))
  TIMINGS+=("$(printf '%-14s %5ss  %s' "$name" "$d" "${STEP_RESULT:-}")")
  say "$(printf '%-14s %5ss  %s' "$name" "$d" "${STEP_RESULT:-}")"
  STEP_RESULT=
  STEP_LOG=
}

exec 9>"$PEERS_HOME/.lock"
if ! flock -n 9; then
  say "another peers-install holds $PEERS_HOME/.lock; waiting"
  flock 9
fi

# ---------------------------------------------------------------------------------------------------
# toolchains

command -v go >/dev/null || die "go is not on PATH (this needs a machine with the Go toolchain)"
GO_VERSION=$(go version)
command -v python3 >/dev/null || die "python3 is not on PATH"
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(node_major)" -lt 22 ]; then
  for d in "${VT_TOOLS:-/var/cache/velero-ts-tools}"/node-*/bin; do
    [ -x "$d/node" ] && PATH=$d:$PATH
  done
fi
[ "$(node_major)" -ge 22 ] || die "Node.js >= 22 is needed (Azurite requires it); run scripts/bootstrap.sh first"

# ---------------------------------------------------------------------------------------------------
# apt packages (apt-get update at most once, only when something is missing)

apt_step() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then STEP_RESULT="present: ${APT_PACKAGES[*]}"; return; fi
  local sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo
  {
    $sudo apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
  } >"$STEP_LOG" 2>&1
  STEP_RESULT="installed: ${missing[*]}"
}
step apt apt_step

# ---------------------------------------------------------------------------------------------------
# Go sets

# set_hash SET LDFLAGS...: sha256 over the set's go.mod, go.sum, *.go, the ldflags and `go version`.
set_hash() {
  local set=$1; shift
  local dir=$PEERS_SRC/go/$set
  {
    for f in "$dir"/go.mod "$dir"/go.sum "$dir"/*.go; do
      [ -f "$f" ] || continue
      printf '== %s\n' "$(basename "$f")"; cat "$f"
    done
    printf '== ldflags\n'; printf '%s\n' "$@"
    printf '== go\n%s\n%s\n' "$GO_VERSION" "$GOFLAGS"
  } | sha256sum | cut -c1-12
}

# modver DIR MODULE: the version DIR/go.mod requires of MODULE (read from the file: works offline).
modver() {
  local v
  v=$(awk -v m="$2" '$1 == "require" && $2 == m { print $3; exit } $1 == m && $2 != "=>" { print $2; exit }' "$1/go.mod")
  [ -n "$v" ] || { echo "peers-install: $2 is not required by $1/go.mod" >&2; return 1; }
  echo "$v"
}

build_set() { # build_set SET, using BUILDS=("ldflags|pkgs" ...)
  local set=$1 dir=$PEERS_SRC/go/$1
  local h; h=$(set_hash "$set" "${BUILDS[@]}")
  local bin=$PEERS_HOME/bin/$set-$h
  eval "BIN_$set=\$bin"
  if [ -f "$bin/.ok" ]; then STEP_RESULT="cached $bin"; return; fi
  rm -rf "$bin"; mkdir -p "$bin"
  : >"$STEP_LOG"
  local b ldf pkgs
  for b in "${BUILDS[@]}"; do
    ldf=${b%%|*}; pkgs=${b#*|}
    # shellcheck disable=SC2086
    (cd "$dir" && go build -mod=readonly -ldflags "$ldf" -o "$bin/" $pkgs) >>"$STEP_LOG" 2>&1
  done
  date -u +%FT%TZ >"$bin/.ok"
  STEP_RESULT="built $bin"
}

# etcd36: etcd server (our main.go wraps etcdmain) + etcdctl. The version is a constant in the etcd api module.
etcd_step() {
  local ldf="-s -w"
  local h; h=$(set_hash etcd36 "$ldf|. go.etcd.io/etcd/etcdctl/v3")
  BIN_etcd36=$PEERS_HOME/bin/etcd36-$h
  if [ -f "$BIN_etcd36/.ok" ]; then STEP_RESULT="cached $BIN_etcd36"; return; fi
  rm -rf "$BIN_etcd36"; mkdir -p "$BIN_etcd36"
  (cd "$PEERS_SRC/go/etcd36" && go build -mod=readonly -ldflags "$ldf" -o "$BIN_etcd36/etcd" . \
    && go build -mod=readonly -ldflags "$ldf" -o "$BIN_etcd36/" go.etcd.io/etcd/etcdctl/v3) >"$STEP_LOG" 2>&1
  "$BIN_etcd36/etcd" --version >>"$STEP_LOG" 2>&1
  date -u +%FT%TZ >"$BIN_etcd36/.ok"
  STEP_RESULT="built $BIN_etcd36"
}
step etcd36 etcd_step

# k8s136: control plane + kubectl (stamped like kube::version::ldflags), kwok, CSI sidecars (main.version).
K8S_DIR=$PEERS_SRC/go/k8s136
k8s_step() {
  KV=$(modver "$K8S_DIR" k8s.io/kubernetes)
  PROV_V=$(modver "$K8S_DIR" github.com/kubernetes-csi/external-provisioner/v6)
  SNAP_V=$(modver "$K8S_DIR" github.com/kubernetes-csi/external-snapshotter/v8)
  local minor p ldf="-s -w"
  minor=$(echo "$KV" | cut -d. -f2)
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldf="$ldf -X $p.gitVersion=$KV -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
    ldf="$ldf -X $p.gitCommit=0000000000000000000000000000000000000000 -X $p.buildDate=2026-01-01T00:00:00Z"
  done
  BUILDS=(
    "$ldf|k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl"
    "-s -w|sigs.k8s.io/kwok/cmd/kwok"
    "-s -w -X main.version=$PROV_V|github.com/kubernetes-csi/external-provisioner/v6/cmd/csi-provisioner"
    "-s -w -X main.version=$SNAP_V|github.com/kubernetes-csi/external-snapshotter/v8/cmd/csi-snapshotter github.com/kubernetes-csi/external-snapshotter/v8/cmd/snapshot-controller"
  )
  build_set k8s136
}
step k8s136 k8s_step

# csihostpath: our own CSI driver (the upstream hostpath driver is not served by the module proxy).
csi_step() {
  BUILDS=("-s -w -X main.version=$CSIHOSTPATH_VERSION|.")
  build_set csihostpath
}
step csihostpath csi_step

# velero118: real Velero (cmd/velero, buildinfo stamped like Velero's Makefile) + the Go velero-plugin-for-aws.
# Same ldflags as test/peers/go/velero118/build.sh (controller-runtime's metrics server, ":8080" on every
# interface in Velero, is switched off; Velero's own metrics use --metrics-address).
VELERO_DIR=$PEERS_SRC/go/velero118
velero_step() {
  VELERO_V=$(modver "$VELERO_DIR" github.com/vmware-tanzu/velero)
  VELERO_AWS_V=$(modver "$VELERO_DIR" github.com/vmware-tanzu/velero-plugin-for-aws)
  local bi=github.com/vmware-tanzu/velero/pkg/buildinfo
  BUILDS=(
    "-s -w -X $bi.Version=$VELERO_V -X $bi.GitSHA=release -X $bi.GitTreeState=clean -X sigs.k8s.io/controller-runtime/pkg/metrics/server.DefaultBindAddress=0|github.com/vmware-tanzu/velero/cmd/velero"
    "-s -w|github.com/vmware-tanzu/velero-plugin-for-aws/velero-plugin-for-aws"
  )
  build_set velero118
}
step velero118 velero_step

# fake-gcs-server: plain `go install` (its go.mod has no replace directives).
gcs_step() {
  local h; h=$(printf '%s\n%s\n%s\n' "$GO_VERSION" "$GOFLAGS" "-s -w" | sha256sum | cut -c1-12)
  BIN_gcs=$PEERS_HOME/bin/gcs-${GCS_VERSION#v}-$h
  if [ -f "$BIN_gcs/.ok" ]; then STEP_RESULT="cached $BIN_gcs"; return; fi
  rm -rf "$BIN_gcs"; mkdir -p "$BIN_gcs"
  GOBIN=$BIN_gcs go install -ldflags "-s -w" "github.com/fsouza/fake-gcs-server@$GCS_VERSION" >"$STEP_LOG" 2>&1
  date -u +%FT%TZ >"$BIN_gcs/.ok"
  STEP_RESULT="built $BIN_gcs"
}
step fake-gcs gcs_step

# ---------------------------------------------------------------------------------------------------
# moto (PyPI) in a venv

moto_step() {
  local pyv; pyv=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  MOTO_DIR=$PEERS_HOME/py/moto-$MOTO_VERSION-py$pyv
  if [ -f "$MOTO_DIR/.ok" ]; then STEP_RESULT="cached $MOTO_DIR"; return; fi
  rm -rf "$MOTO_DIR"
  {
    python3 -m venv "$MOTO_DIR"
    "$MOTO_DIR/bin/pip" install --disable-pip-version-check --no-input "moto[server,s3,ec2]==$MOTO_VERSION"
  } >"$STEP_LOG" 2>&1
  "$MOTO_DIR/bin/python" -c 'import moto, flask; print("moto", moto.__version__)' >>"$STEP_LOG" 2>&1
  date -u +%FT%TZ >"$MOTO_DIR/.ok"
  STEP_RESULT="installed $MOTO_DIR"
}
step moto moto_step

# ---------------------------------------------------------------------------------------------------
# Azurite (npm)

azurite_step() {
  AZ_DIR=$PEERS_HOME/npm/azurite-$AZURITE_VERSION
  if [ -f "$AZ_DIR/.ok" ]; then STEP_RESULT="cached $AZ_DIR"; return; fi
  rm -rf "$AZ_DIR"; mkdir -p "$AZ_DIR"
  npm install --prefix "$AZ_DIR" --no-audit --no-fund --omit=dev --loglevel=error "azurite@$AZURITE_VERSION" >"$STEP_LOG" 2>&1
  [ -f "$AZ_DIR/node_modules/azurite/dist/src/blob/main.js" ] || { echo "azurite-blob entry point missing" >>"$STEP_LOG"; false; }
  date -u +%FT%TZ >"$AZ_DIR/.ok"
  STEP_RESULT="installed $AZ_DIR"
}
step azurite azurite_step

# ---------------------------------------------------------------------------------------------------
# peers.json: where everything is (read by test/peers/env.ts)

manifest_step() {
  [ -n "${BIN_etcd36:-}" ] && [ -n "${BIN_k8s136:-}" ] && [ -n "${BIN_csihostpath:-}" ] && [ -n "${BIN_gcs:-}" ] \
    && [ -n "${BIN_velero118:-}" ] && [ -n "${MOTO_DIR:-}" ] && [ -n "${AZ_DIR:-}" ] || die "the manifest step needs every other step in the same run"
  local kwok_dir crd_dir etcd_v
  etcd_v=$(modver "$PEERS_SRC/go/etcd36" go.etcd.io/etcd/server/v3)
  kwok_dir=$(cd "$K8S_DIR" && go list -mod=readonly -m -f '{{.Dir}}' sigs.k8s.io/kwok)
  crd_dir=$(cd "$K8S_DIR" && go list -mod=readonly -m -f '{{.Dir}}' github.com/kubernetes-csi/external-snapshotter/client/v8)/config/crd
  [ -f "$kwok_dir/kustomize/stage/pod/fast/pod-ready.yaml" ] || die "kwok stages not found under $kwok_dir"
  [ -f "$crd_dir/snapshot.storage.k8s.io_volumesnapshots.yaml" ] || die "snapshot CRDs not found under $crd_dir"
  local b
  for b in "$BIN_etcd36/etcd" "$BIN_k8s136"/{kube-apiserver,kube-controller-manager,kube-scheduler,kubectl,kwok,csi-provisioner,csi-snapshotter,snapshot-controller} \
           "$BIN_csihostpath/csihostpath" "$BIN_gcs/fake-gcs-server" "$MOTO_DIR/bin/moto_server" \
           "$BIN_velero118/velero" "$BIN_velero118/velero-plugin-for-aws"; do
    [ -x "$b" ] || die "expected binary missing: $b"
  done
  local tmp; tmp=$(mktemp "$PEERS_HOME/peers.json.XXXXXX")
  jq -n \
    --arg peersHome "$PEERS_HOME" --arg etcd "$BIN_etcd36" --arg k8s "$BIN_k8s136" --arg csi "$BIN_csihostpath" \
    --arg gcs "$BIN_gcs" --arg moto "$MOTO_DIR" --arg az "$AZ_DIR" --arg kwok "$kwok_dir" --arg crd "$crd_dir" \
    --arg kv "$KV" --arg etcdv "$etcd_v" --arg prov "$PROV_V" --arg snap "$SNAP_V" --arg gcsv "$GCS_VERSION" --arg motov "$MOTO_VERSION" \
    --arg azv "$AZURITE_VERSION" --arg csiv "$CSIHOSTPATH_VERSION" --arg go "$GO_VERSION" \
    --arg velero "$BIN_velero118" --arg velerov "$VELERO_V" --arg veleroawsv "$VELERO_AWS_V" \
    --arg restic "$(command -v restic || true)" --arg openssl "$(command -v openssl)" \
    '{
      schema: 1, peersHome: $peersHome, go: $go, writtenAt: (now | todate),
      versions: { kubernetes: $kv, etcd: $etcdv, kwok: "v0.8.0", csiProvisioner: $prov, csiSnapshotter: $snap,
                  csiHostpath: $csiv, fakeGcsServer: $gcsv, moto: $motov, azurite: $azv,
                  velero: $velerov, veleroPluginForAws: $veleroawsv },
      bin: {
        etcd: ($etcd + "/etcd"), etcdctl: ($etcd + "/etcdctl"),
        kubeApiserver: ($k8s + "/kube-apiserver"), kubeControllerManager: ($k8s + "/kube-controller-manager"),
        kubeScheduler: ($k8s + "/kube-scheduler"), kubectl: ($k8s + "/kubectl"), kwok: ($k8s + "/kwok"),
        csiProvisioner: ($k8s + "/csi-provisioner"), csiSnapshotter: ($k8s + "/csi-snapshotter"),
        snapshotController: ($k8s + "/snapshot-controller"), csiHostpath: ($csi + "/csihostpath"),
        fakeGcsServer: ($gcs + "/fake-gcs-server"), motoServer: ($moto + "/bin/moto_server"),
        azuriteBlob: ($az + "/node_modules/azurite/dist/src/blob/main.js"),
        velero: ($velero + "/velero"), veleroPluginForAws: ($velero + "/velero-plugin-for-aws"),
        restic: $restic, openssl: $openssl
      },
      data: { kwokStages: ($kwok + "/kustomize/stage"), snapshotCrds: $crd }
    }' >"$tmp"
  mv -f "$tmp" "$PEERS_HOME/peers.json"
  STEP_RESULT="wrote $PEERS_HOME/peers.json"
}
step manifest manifest_step

say "all peers ready in $(( $(date +%s) - T0 ))s (PEERS_HOME=$PEERS_HOME)"
