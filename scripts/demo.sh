#!/usr/bin/env bash
# `npm run demo`: the Velero walkthrough on a fresh machine, printing each command as a user would
# type it. Bootstraps Node and the build, starts the local test environment (real kube-apiserver,
# controller-manager, scheduler, kwok node), installs Velero, runs `velero server` locally with the
# built-in filesystem object store, backs up a sample app, deletes its namespace, restores it, and
# tears everything down again.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

source scripts/bootstrap.sh
bash scripts/peers-install.sh >/dev/null

DIR=$(mktemp -d /tmp/vt-demo.XXXXXX)
SERVER_PID=""
cleanup() {
  local rc=$?
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  node test/peers/env.ts down --dir "$DIR" --rm >/dev/null 2>&1 || true
  [[ $rc -eq 0 ]] && echo -e "\nDemo finished: everything was torn down." || echo -e "\nDemo failed (exit $rc); server log was in $DIR/velero-server.log" >&2
}
trap cleanup EXIT

# `velero` and `kubectl` on PATH, so every command below reads exactly as a user types it.
# `velero` is the single executable the build leaves (what the server image holds): one bundled
# file starts in about 60% of the time host/dist/main.js takes to load its modules. The build
# skips it (with a warning) where it cannot be made; then host/dist/main.js serves.
mkdir -p "$DIR/bin" "$DIR/backups"
if [[ -x "$ROOT/dist/bin/velero" ]]; then
  ln -s "$ROOT/dist/bin/velero" "$DIR/bin/velero"
else
  printf '#!/bin/sh\nexec node %q "$@"\n' "$ROOT/host/dist/main.js" > "$DIR/bin/velero"
  chmod +x "$DIR/bin/velero"
fi
ln -s "$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1])).bin.kubectl' "${PEERS_HOME:-/var/cache/velero-ts-peers}/peers.json")" "$DIR/bin/kubectl"
export PATH="$DIR/bin:$PATH"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '\n$ %s\n' "$*"; "$@"; }

step "Starting a local Kubernetes control plane (kube-apiserver, controller-manager, scheduler, kwok node)"
node test/peers/env.ts up --dir "$DIR" >/dev/null
export KUBECONFIG="$DIR/kubeconfig"
run kubectl get nodes

step "Installing Velero (CRDs, namespace, RBAC, a filesystem backup location)"
run velero install --provider velero.io/filesystem --bucket demo --no-secret --use-volume-snapshots=false \
  --backup-location-config "path=$DIR/backups"

step "Running the Velero server locally (this cluster has no real kubelet to run its Deployment)"
printf '\n$ velero server --kubeconfig %s --plugin-dir dist/plugins &\n' "$KUBECONFIG"
velero server --kubeconfig "$KUBECONFIG" --plugin-dir dist/plugins --metrics-address 127.0.0.1:0 > "$DIR/velero-server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 60); do
  if velero version --timeout 2s 2>/dev/null | grep -q '^Server:'; then break; fi
  sleep 1
done
run velero version
run velero backup-location get

step "Deploying a sample app in namespace demo-app"
printf '\n$ kubectl apply -f - <<EOF (Deployment web, ConfigMap web-config, Service web)\n'
kubectl apply -f - <<'YAML'
apiVersion: v1
kind: Namespace
metadata:
  name: demo-app
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  namespace: demo-app
  labels: {app: web}
data:
  index.html: "<h1>hello from velero-ts</h1>"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: demo-app
  labels: {app: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: nginx
          image: nginx:1.27
          ports: [{containerPort: 80}]
          volumeMounts: [{name: html, mountPath: /usr/share/nginx/html}]
      volumes:
        - name: html
          configMap: {name: web-config}
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: demo-app
  labels: {app: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 80}]
YAML
run kubectl get deployment,service,configmap -n demo-app

step "Backing it up"
run velero backup create demo --include-namespaces demo-app --wait
run velero backup get
run velero backup describe demo --details

step "Disaster: deleting the namespace"
run kubectl delete namespace demo-app --wait=true
run kubectl get namespace demo-app || true

step "Restoring from the backup"
run velero restore create --from-backup demo --wait
run velero restore get
run kubectl get deployment,service,configmap -n demo-app
run kubectl get configmap web-config -n demo-app -o jsonpath='{.data.index\.html}'
echo
