package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

const defaultCapacity = 1 << 30 // 1 GiB when the request names no size

// On-disk layout under the state dir:
//
//	<statedir>/<volumeId>/                 volume contents (what a pod would see)
//	<statedir>/.vt/volumes/<volumeId>.json volume metadata
//	<statedir>/.vt/snapshots/<id>.json     snapshot metadata
//	<statedir>/.vt/snapshots/<id>.tar      snapshot contents (tar of the volume dir)
//	<statedir>/.vt/tmp/                    staging area, renamed into place when complete
type volumeMeta struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	CapacityBytes  int64     `json:"capacityBytes"`
	SourceSnapshot string    `json:"sourceSnapshot,omitempty"`
	SourceVolume   string    `json:"sourceVolume,omitempty"`
	Created        time.Time `json:"created"`
}

type snapshotMeta struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	SourceVolumeID string    `json:"sourceVolumeId"`
	SizeBytes      int64     `json:"sizeBytes"`
	Created        time.Time `json:"created"`
}

type driver struct {
	name, nodeID, root string
	mu                 sync.Mutex // one operation at a time: the state lives in plain files
}

func newDriver(name, nodeID, root string) (*driver, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	d := &driver{name: name, nodeID: nodeID, root: root}
	for _, p := range []string{d.metaDir("volumes"), d.metaDir("snapshots"), d.metaDir("tmp")} {
		if err := os.MkdirAll(p, 0o755); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (d *driver) metaDir(kind string) string  { return filepath.Join(d.root, ".vt", kind) }
func (d *driver) volumeDir(id string) string  { return filepath.Join(d.root, id) }
func (d *driver) volumeMeta(id string) string { return filepath.Join(d.metaDir("volumes"), id+".json") }
func (d *driver) snapshotMeta(id string) string {
	return filepath.Join(d.metaDir("snapshots"), id+".json")
}
func (d *driver) snapshotTar(id string) string {
	return filepath.Join(d.metaDir("snapshots"), id+".tar")
}

var safeName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{0,62}$`)

// idFor derives a stable id from a CO-supplied name (CSI names are idempotency keys): the name itself
// when it is a safe directory name (e.g. pvc-<uid>, snapshot-<uid>), else a hash of it.
func idFor(prefix, name string) string {
	if safeName.MatchString(name) {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return prefix + hex.EncodeToString(sum[:12])
}

// validID guards ids that arrive from the CO before they are used as path components.
func validID(id string) bool { return safeName.MatchString(id) || hashedName.MatchString(id) }

var hashedName = regexp.MustCompile(`^(vol|snap)-[0-9a-f]{24}$`)

func readJSON(path string, v any) (bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, json.Unmarshal(b, v)
}

func (d *driver) writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(d.metaDir("tmp"), "meta-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func internal(err error) error { return status.Error(codes.Internal, err.Error()) }

// ---------------------------------------------------------------------------------------------
// Identity

type identity struct {
	csi.UnimplementedIdentityServer
	d *driver
}

func (i *identity) GetPluginInfo(context.Context, *csi.GetPluginInfoRequest) (*csi.GetPluginInfoResponse, error) {
	return &csi.GetPluginInfoResponse{Name: i.d.name, VendorVersion: version}, nil
}

func (i *identity) GetPluginCapabilities(context.Context, *csi.GetPluginCapabilitiesRequest) (*csi.GetPluginCapabilitiesResponse, error) {
	return &csi.GetPluginCapabilitiesResponse{Capabilities: []*csi.PluginCapability{{
		Type: &csi.PluginCapability_Service_{Service: &csi.PluginCapability_Service{Type: csi.PluginCapability_Service_CONTROLLER_SERVICE}},
	}}}, nil
}

func (i *identity) Probe(context.Context, *csi.ProbeRequest) (*csi.ProbeResponse, error) {
	if _, err := os.Stat(i.d.metaDir("volumes")); err != nil {
		return nil, status.Errorf(codes.FailedPrecondition, "state dir unusable: %v", err)
	}
	return &csi.ProbeResponse{}, nil // an unset Ready means ready
}

// ---------------------------------------------------------------------------------------------
// Controller

type controller struct {
	csi.UnimplementedControllerServer
	d *driver
}

func (c *controller) ControllerGetCapabilities(context.Context, *csi.ControllerGetCapabilitiesRequest) (*csi.ControllerGetCapabilitiesResponse, error) {
	var caps []*csi.ControllerServiceCapability
	for _, t := range []csi.ControllerServiceCapability_RPC_Type{
		csi.ControllerServiceCapability_RPC_CREATE_DELETE_VOLUME,
		csi.ControllerServiceCapability_RPC_CREATE_DELETE_SNAPSHOT,
		csi.ControllerServiceCapability_RPC_LIST_SNAPSHOTS,
		csi.ControllerServiceCapability_RPC_CLONE_VOLUME,
	} {
		caps = append(caps, &csi.ControllerServiceCapability{Type: &csi.ControllerServiceCapability_Rpc{Rpc: &csi.ControllerServiceCapability_RPC{Type: t}}})
	}
	return &csi.ControllerGetCapabilitiesResponse{Capabilities: caps}, nil
}

func checkCapabilities(caps []*csi.VolumeCapability) error {
	if len(caps) == 0 {
		return status.Error(codes.InvalidArgument, "volume capabilities missing")
	}
	for _, c := range caps {
		if c.GetBlock() == nil && c.GetMount() == nil {
			return status.Error(codes.InvalidArgument, "volume capability needs an access type (block or mount)")
		}
		if c.GetAccessMode() == nil || c.GetAccessMode().GetMode() == csi.VolumeCapability_AccessMode_UNKNOWN {
			return status.Error(codes.InvalidArgument, "volume capability needs an access mode")
		}
	}
	return nil
}

func (c *controller) CreateVolume(_ context.Context, req *csi.CreateVolumeRequest) (*csi.CreateVolumeResponse, error) {
	if req.GetName() == "" {
		return nil, status.Error(codes.InvalidArgument, "name missing")
	}
	if err := checkCapabilities(req.GetVolumeCapabilities()); err != nil {
		return nil, err
	}
	capacity := req.GetCapacityRange().GetRequiredBytes()
	limit := req.GetCapacityRange().GetLimitBytes()
	if capacity == 0 {
		capacity = defaultCapacity
		if limit > 0 && limit < capacity {
			capacity = limit
		}
	}
	if limit > 0 && capacity > limit {
		return nil, status.Errorf(codes.OutOfRange, "required %d bytes exceeds limit %d", capacity, limit)
	}
	var srcSnap, srcVol string
	if src := req.GetVolumeContentSource(); src != nil {
		switch {
		case src.GetSnapshot() != nil:
			srcSnap = src.GetSnapshot().GetSnapshotId()
		case src.GetVolume() != nil:
			srcVol = src.GetVolume().GetVolumeId()
		default:
			return nil, status.Error(codes.InvalidArgument, "unsupported volume content source")
		}
	}

	d := c.d
	d.mu.Lock()
	defer d.mu.Unlock()

	id := idFor("vol-", req.GetName())
	var existing volumeMeta
	if ok, err := readJSON(d.volumeMeta(id), &existing); err != nil {
		return nil, internal(err)
	} else if ok {
		if existing.Name != req.GetName() || existing.CapacityBytes < capacity || (limit > 0 && existing.CapacityBytes > limit) ||
			existing.SourceSnapshot != srcSnap || existing.SourceVolume != srcVol {
			return nil, status.Errorf(codes.AlreadyExists, "volume %q exists with different parameters", req.GetName())
		}
		return &csi.CreateVolumeResponse{Volume: volumeOf(&existing, req.GetVolumeContentSource())}, nil
	}

	// Stage the contents in tmp, then rename into place, then record the metadata (the commit point).
	stage, err := os.MkdirTemp(d.metaDir("tmp"), "vol-")
	if err != nil {
		return nil, internal(err)
	}
	defer os.RemoveAll(stage)
	switch {
	case srcSnap != "":
		var sm snapshotMeta
		if !validID(srcSnap) {
			return nil, status.Errorf(codes.NotFound, "snapshot %q not found", srcSnap)
		}
		if ok, err := readJSON(d.snapshotMeta(srcSnap), &sm); err != nil {
			return nil, internal(err)
		} else if !ok {
			return nil, status.Errorf(codes.NotFound, "snapshot %q not found", srcSnap)
		}
		if sm.SizeBytes > capacity {
			return nil, status.Errorf(codes.OutOfRange, "snapshot %q is %d bytes, more than the requested %d", srcSnap, sm.SizeBytes, capacity)
		}
		f, err := os.Open(d.snapshotTar(srcSnap))
		if err != nil {
			return nil, internal(err)
		}
		err = extractTar(f, stage)
		f.Close()
		if err != nil {
			return nil, internal(fmt.Errorf("restoring snapshot %s: %w", srcSnap, err))
		}
	case srcVol != "":
		var vm volumeMeta
		if !validID(srcVol) {
			return nil, status.Errorf(codes.NotFound, "volume %q not found", srcVol)
		}
		if ok, err := readJSON(d.volumeMeta(srcVol), &vm); err != nil {
			return nil, internal(err)
		} else if !ok {
			return nil, status.Errorf(codes.NotFound, "volume %q not found", srcVol)
		}
		if vm.CapacityBytes > capacity {
			return nil, status.Errorf(codes.OutOfRange, "source volume %q is %d bytes, more than the requested %d", srcVol, vm.CapacityBytes, capacity)
		}
		if err := copyTree(d.volumeDir(srcVol), stage); err != nil {
			return nil, internal(fmt.Errorf("cloning volume %s: %w", srcVol, err))
		}
	}
	if err := os.Chmod(stage, 0o777); err != nil { // like a fresh hostpath volume: writable by any uid
		return nil, internal(err)
	}
	if err := os.RemoveAll(d.volumeDir(id)); err != nil { // leftovers of a crash between rename and metadata
		return nil, internal(err)
	}
	if err := os.Rename(stage, d.volumeDir(id)); err != nil {
		return nil, internal(err)
	}
	vm := volumeMeta{ID: id, Name: req.GetName(), CapacityBytes: capacity, SourceSnapshot: srcSnap, SourceVolume: srcVol, Created: time.Now().UTC()}
	if err := d.writeJSON(d.volumeMeta(id), &vm); err != nil {
		return nil, internal(err)
	}
	return &csi.CreateVolumeResponse{Volume: volumeOf(&vm, req.GetVolumeContentSource())}, nil
}

func volumeOf(m *volumeMeta, src *csi.VolumeContentSource) *csi.Volume {
	return &csi.Volume{VolumeId: m.ID, CapacityBytes: m.CapacityBytes, ContentSource: src}
}

func (c *controller) DeleteVolume(_ context.Context, req *csi.DeleteVolumeRequest) (*csi.DeleteVolumeResponse, error) {
	id := req.GetVolumeId()
	if id == "" {
		return nil, status.Error(codes.InvalidArgument, "volume id missing")
	}
	if !validID(id) {
		return &csi.DeleteVolumeResponse{}, nil // never created by us: already gone
	}
	d := c.d
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := os.Remove(d.volumeMeta(id)); err != nil && !os.IsNotExist(err) {
		return nil, internal(err)
	}
	if err := os.RemoveAll(d.volumeDir(id)); err != nil {
		return nil, internal(err)
	}
	return &csi.DeleteVolumeResponse{}, nil
}

func (c *controller) ValidateVolumeCapabilities(_ context.Context, req *csi.ValidateVolumeCapabilitiesRequest) (*csi.ValidateVolumeCapabilitiesResponse, error) {
	id := req.GetVolumeId()
	if id == "" {
		return nil, status.Error(codes.InvalidArgument, "volume id missing")
	}
	if err := checkCapabilities(req.GetVolumeCapabilities()); err != nil {
		return nil, err
	}
	d := c.d
	d.mu.Lock()
	defer d.mu.Unlock()
	var vm volumeMeta
	if !validID(id) {
		return nil, status.Errorf(codes.NotFound, "volume %q not found", id)
	}
	if ok, err := readJSON(d.volumeMeta(id), &vm); err != nil {
		return nil, internal(err)
	} else if !ok {
		return nil, status.Errorf(codes.NotFound, "volume %q not found", id)
	}
	return &csi.ValidateVolumeCapabilitiesResponse{Confirmed: &csi.ValidateVolumeCapabilitiesResponse_Confirmed{
		VolumeContext:      req.GetVolumeContext(),
		VolumeCapabilities: req.GetVolumeCapabilities(),
		Parameters:         req.GetParameters(),
	}}, nil
}

func (c *controller) CreateSnapshot(_ context.Context, req *csi.CreateSnapshotRequest) (*csi.CreateSnapshotResponse, error) {
	if req.GetName() == "" {
		return nil, status.Error(codes.InvalidArgument, "name missing")
	}
	src := req.GetSourceVolumeId()
	if src == "" {
		return nil, status.Error(codes.InvalidArgument, "source volume id missing")
	}
	d := c.d
	d.mu.Lock()
	defer d.mu.Unlock()

	id := idFor("snap-", req.GetName())
	var existing snapshotMeta
	if ok, err := readJSON(d.snapshotMeta(id), &existing); err != nil {
		return nil, internal(err)
	} else if ok {
		if existing.Name != req.GetName() || existing.SourceVolumeID != src {
			return nil, status.Errorf(codes.AlreadyExists, "snapshot %q exists for another source volume", req.GetName())
		}
		return &csi.CreateSnapshotResponse{Snapshot: snapshotOf(&existing)}, nil
	}
	var vm volumeMeta
	if !validID(src) {
		return nil, status.Errorf(codes.NotFound, "volume %q not found", src)
	}
	if ok, err := readJSON(d.volumeMeta(src), &vm); err != nil {
		return nil, internal(err)
	} else if !ok {
		return nil, status.Errorf(codes.NotFound, "volume %q not found", src)
	}
	tmp, err := os.CreateTemp(d.metaDir("tmp"), "snap-*.tar")
	if err != nil {
		return nil, internal(err)
	}
	defer os.Remove(tmp.Name())
	if err := writeTar(d.volumeDir(src), tmp); err != nil {
		tmp.Close()
		return nil, internal(fmt.Errorf("archiving volume %s: %w", src, err))
	}
	if err := tmp.Close(); err != nil {
		return nil, internal(err)
	}
	if err := os.Rename(tmp.Name(), d.snapshotTar(id)); err != nil {
		return nil, internal(err)
	}
	sm := snapshotMeta{ID: id, Name: req.GetName(), SourceVolumeID: src, SizeBytes: vm.CapacityBytes, Created: time.Now().UTC()}
	if err := d.writeJSON(d.snapshotMeta(id), &sm); err != nil {
		return nil, internal(err)
	}
	return &csi.CreateSnapshotResponse{Snapshot: snapshotOf(&sm)}, nil
}

func snapshotOf(m *snapshotMeta) *csi.Snapshot {
	return &csi.Snapshot{SnapshotId: m.ID, SourceVolumeId: m.SourceVolumeID, SizeBytes: m.SizeBytes,
		CreationTime: timestamppb.New(m.Created), ReadyToUse: true}
}

func (c *controller) DeleteSnapshot(_ context.Context, req *csi.DeleteSnapshotRequest) (*csi.DeleteSnapshotResponse, error) {
	id := req.GetSnapshotId()
	if id == "" {
		return nil, status.Error(codes.InvalidArgument, "snapshot id missing")
	}
	if !validID(id) {
		return &csi.DeleteSnapshotResponse{}, nil
	}
	d := c.d
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, p := range []string{d.snapshotMeta(id), d.snapshotTar(id)} {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			return nil, internal(err)
		}
	}
	return &csi.DeleteSnapshotResponse{}, nil
}

func (c *controller) ListSnapshots(_ context.Context, req *csi.ListSnapshotsRequest) (*csi.ListSnapshotsResponse, error) {
	if req.GetMaxEntries() < 0 {
		return nil, status.Error(codes.InvalidArgument, "max_entries must not be negative")
	}
	d := c.d
	d.mu.Lock()
	defer d.mu.Unlock()
	entries, err := os.ReadDir(d.metaDir("snapshots"))
	if err != nil {
		return nil, internal(err)
	}
	var all []*snapshotMeta
	for _, e := range entries {
		name := e.Name()
		if filepath.Ext(name) != ".json" {
			continue
		}
		var sm snapshotMeta
		if ok, err := readJSON(filepath.Join(d.metaDir("snapshots"), name), &sm); err != nil {
			return nil, internal(err)
		} else if !ok {
			continue
		}
		if req.GetSnapshotId() != "" && sm.ID != req.GetSnapshotId() {
			continue
		}
		if req.GetSourceVolumeId() != "" && sm.SourceVolumeID != req.GetSourceVolumeId() {
			continue
		}
		all = append(all, &sm)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	start := 0
	if t := req.GetStartingToken(); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 || n > len(all) {
			return nil, status.Errorf(codes.Aborted, "invalid starting token %q", t)
		}
		start = n
	}
	end := len(all)
	if m := int(req.GetMaxEntries()); m > 0 && start+m < end {
		end = start + m
	}
	resp := &csi.ListSnapshotsResponse{}
	for _, sm := range all[start:end] {
		resp.Entries = append(resp.Entries, &csi.ListSnapshotsResponse_Entry{Snapshot: snapshotOf(sm)})
	}
	if end < len(all) {
		resp.NextToken = strconv.Itoa(end)
	}
	return resp, nil
}

// ---------------------------------------------------------------------------------------------
// Node: only what the sidecars and tools ask of a node plugin; nothing is mounted (no kubelet).

type node struct {
	csi.UnimplementedNodeServer
	d *driver
}

func (n *node) NodeGetInfo(context.Context, *csi.NodeGetInfoRequest) (*csi.NodeGetInfoResponse, error) {
	return &csi.NodeGetInfoResponse{NodeId: n.d.nodeID}, nil
}

func (n *node) NodeGetCapabilities(context.Context, *csi.NodeGetCapabilitiesRequest) (*csi.NodeGetCapabilitiesResponse, error) {
	return &csi.NodeGetCapabilitiesResponse{}, nil
}

// copyTree copies the contents of src into the existing directory dst through an in-memory tar stream.
func copyTree(src, dst string) error {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeTar(src, pw)) }()
	err := extractTar(pr, dst)
	pr.CloseWithError(err)
	return err
}
