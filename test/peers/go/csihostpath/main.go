// Command csihostpath is a small CSI driver for velero-ts tests. It keeps every volume as a plain
// directory <statedir>/<volumeHandle>/ and every snapshot as a tar file of that directory, so the
// real external-provisioner, csi-snapshotter and snapshot-controller can provision, snapshot and
// restore volumes on a cluster without a kubelet. It stands in for the upstream
// csi-driver-host-path, which the Go module proxy does not serve.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	endpoint := flag.String("endpoint", "", "CSI endpoint: unix:///path/to/csi.sock (or a plain socket path)")
	driverName := flag.String("drivername", "hostpath.csi.k8s.io", "CSI driver name reported by GetPluginInfo")
	nodeID := flag.String("nodeid", "", "node id reported by NodeGetInfo")
	stateDir := flag.String("statedir", "", "directory holding volumes (<statedir>/<volumeHandle>/) and snapshots")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()

	if *showVersion {
		fmt.Println(version)
		return
	}
	if *endpoint == "" || *stateDir == "" || *nodeID == "" {
		fmt.Fprintln(os.Stderr, "csihostpath: --endpoint, --statedir and --nodeid are required")
		os.Exit(2)
	}
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)

	d, err := newDriver(*driverName, *nodeID, *stateDir)
	if err != nil {
		log.Fatalf("csihostpath: %v", err)
	}

	sock := strings.TrimPrefix(*endpoint, "unix://")
	if strings.Contains(sock, "://") {
		log.Fatalf("csihostpath: only unix:// endpoints are supported, got %q", *endpoint)
	}
	if err := os.MkdirAll(filepath.Dir(sock), 0o755); err != nil {
		log.Fatalf("csihostpath: %v", err)
	}
	if err := os.Remove(sock); err != nil && !os.IsNotExist(err) {
		log.Fatalf("csihostpath: removing stale socket: %v", err)
	}
	lis, err := net.Listen("unix", sock)
	if err != nil {
		log.Fatalf("csihostpath: listen %s: %v", sock, err)
	}

	srv := grpc.NewServer(grpc.UnaryInterceptor(logCalls))
	csi.RegisterIdentityServer(srv, &identity{d: d})
	csi.RegisterControllerServer(srv, &controller{d: d})
	csi.RegisterNodeServer(srv, &node{d: d})

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		s := <-sigs
		log.Printf("csihostpath: %v received, stopping", s)
		stopped := make(chan struct{})
		go func() { srv.GracefulStop(); close(stopped) }()
		select {
		case <-stopped:
		case <-time.After(3 * time.Second):
			srv.Stop()
		}
	}()

	log.Printf("csihostpath %s: driver %s node %s serving on %s, state in %s", version, *driverName, *nodeID, sock, *stateDir)
	if err := srv.Serve(lis); err != nil {
		log.Fatalf("csihostpath: serve: %v", err)
	}
	_ = os.Remove(sock)
}

func logCalls(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	start := time.Now()
	resp, err := handler(ctx, req)
	method := info.FullMethod[strings.LastIndex(info.FullMethod, "/")+1:]
	if err != nil {
		log.Printf("%s %s -> %s: %s (%s)", method, brief(req), status.Code(err), status.Convert(err).Message(), time.Since(start))
	} else if method != "Probe" {
		log.Printf("%s %s -> OK (%s)", method, brief(req), time.Since(start))
	}
	return resp, err
}

// brief renders a request on one line without secrets.
func brief(req any) string {
	switch r := req.(type) {
	case *csi.CreateVolumeRequest:
		return fmt.Sprintf("name=%s bytes=%d source=%v", r.GetName(), r.GetCapacityRange().GetRequiredBytes(), r.GetVolumeContentSource())
	case *csi.DeleteVolumeRequest:
		return "volume=" + r.GetVolumeId()
	case *csi.CreateSnapshotRequest:
		return fmt.Sprintf("name=%s source=%s", r.GetName(), r.GetSourceVolumeId())
	case *csi.DeleteSnapshotRequest:
		return "snapshot=" + r.GetSnapshotId()
	case *csi.ListSnapshotsRequest:
		return fmt.Sprintf("snapshot=%s source=%s token=%s max=%d", r.GetSnapshotId(), r.GetSourceVolumeId(), r.GetStartingToken(), r.GetMaxEntries())
	case *csi.ValidateVolumeCapabilitiesRequest:
		return "volume=" + r.GetVolumeId()
	}
	return ""
}
