# Sourced by the peer build scripts: Go caches live outside the repo.
export PEERS_HOME=${PEERS_HOME:-/var/cache/velero-ts-peers}
export GOMODCACHE=$PEERS_HOME/go/mod GOCACHE=$PEERS_HOME/go/build GOPATH=$PEERS_HOME/go/path
export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0
export GOFLAGS='-trimpath -buildvcs=false'
