// velero-plugin-aws: the velero.io/aws ObjectStore (S3 and S3-compatible stores) and
// VolumeSnapshotter (EBS), served over Velero's plugin protocol.
import { serve } from "@velero-ts/plugin-sdk";
import { S3ObjectStore } from "./object-store.js";
import { EbsVolumeSnapshotter } from "./volume-snapshotter.js";

void serve()
  .registerObjectStore("velero.io/aws", ({ logger }) => new S3ObjectStore({ log: logger }))
  .registerVolumeSnapshotter("velero.io/aws", ({ logger }) => new EbsVolumeSnapshotter({ log: logger }))
  .start();
