// Regenerates proto/src/generated from the .proto files:
//  - TypeScript types via proto-loader-gen-types (one tree per root proto),
//  - descriptor.json: the protobufjs JSON descriptor the runtime loads (so bundled plugin
//    executables need no .proto files on disk).
// Usage: node proto/scripts/generate.ts [--out DIR]   (default: proto/src/generated)
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";

const PROTO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const ROOT_FILES = [
  "velero/PluginLister.proto",
  "velero/ObjectStore.proto",
  "velero/VolumeSnapshotter.proto",
  "velero/BackupItemAction.proto",
  "velero/RestoreItemAction.proto",
  "velero/DeleteItemAction.proto",
  "velero/backupitemaction/v2/BackupItemAction.proto",
  "velero/restoreitemaction/v2/RestoreItemAction.proto",
  "velero/itemblockaction/v1/ItemBlockAction.proto",
  "goplugin/grpc_controller.proto",
  "goplugin/grpc_stdio.proto",
  "goplugin/grpc_broker.proto",
  "grpc/health.proto",
  "grpc/status.proto",
];
const INCLUDE_DIRS = [join(PROTO_DIR, "velero"), PROTO_DIR];

const outIdx = process.argv.indexOf("--out");
const out = outIdx > 0 ? resolve(process.argv[outIdx + 1] ?? "") : join(PROTO_DIR, "src", "generated");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const bin = join(PROTO_DIR, "..", "node_modules", ".bin", "proto-loader-gen-types");
execFileSync(
  bin,
  [
    ...ROOT_FILES,
    "--keepCase",
    "--longs=Number",
    "--enums=String",
    "--defaults",
    "--oneofs",
    "--grpcLib=@grpc/grpc-js",
    "--includeComments",
    "--importFileExtension=.js",
    `--outDir=${out}`,
    "--includeDirs",
    ...INCLUDE_DIRS,
  ],
  { stdio: "inherit", cwd: PROTO_DIR },
);

// The per-root-file "ProtoGrpcType" files collide (v1 and v2 BackupItemAction.proto share a
// basename), so drop them: proto/src/index.ts exposes typed loaders instead. Make the output
// independent of where the repo is checked out.
for (const name of readdirSync(out)) {
  if (name.endsWith(".ts")) rmSync(join(out, name));
}
const walk = (dir: string): void => {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else writeFileSync(p, readFileSync(p, "utf8").split(PROTO_DIR + "/").join(""));
  }
};
walk(out);

// Resolve imports the same way the generator does: try each include dir, then protobufjs'
// bundled google/protobuf/*.proto.
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => {
  if (target.startsWith("google/protobuf/")) return target;
  for (const dir of INCLUDE_DIRS) {
    const p = join(dir, target);
    if (existsSync(p)) return p;
  }
  return target;
};
root.loadSync(ROOT_FILES.map((f) => join(PROTO_DIR, f)), { keepCase: true });
root.resolveAll();
writeFileSync(join(out, "descriptor.json"), JSON.stringify(root.toJSON({ keepComments: false }), null, 1) + "\n");
console.log(`generated ${out}`);
