import { describe, expect, it } from "vitest";
import { GVR } from "../../kube/gvr.js";
import { forBackup, forPod, forPVC } from "../../testing/builders.js";
import { FakeKubeClient } from "../../testing/fake-kube-client.js";
import { PvcItemBlockAction } from "./pvc.js";

function scheduled(namespace: string, name: string, options: { pvcs?: string[]; phase?: string; node?: string; deleting?: boolean } = {}) {
  const pod = forPod(namespace, name, { pvcs: options.pvcs, phase: options.phase }).build();
  if (options.node !== "") (pod.spec as { nodeName?: string }).nodeName = options.node ?? "node-1";
  if (options.deleting) pod.metadata.deletionTimestamp = "2024-01-01T00:00:00Z";
  return pod;
}

const pv = (name: string) => ({ group: "", resource: "persistentvolumes", namespace: "", name });
const pod = (namespace: string, name: string) => ({ group: "", resource: "pods", namespace, name });
const pvc = (namespace: string, name: string) => ({ group: "", resource: "persistentvolumeclaims", namespace, name });

describe("PvcItemBlockAction (velero.io/pvc)", () => {
  it("applies to persistent volume claims", async () => {
    expect(await new PvcItemBlockAction(new FakeKubeClient()).appliesTo()).toMatchObject({ includedResources: ["persistentvolumeclaims"] });
  });

  it("relates a bound claim's PV and the running pods of its namespace that mount it", async () => {
    const kube = new FakeKubeClient().seed(
      GVR.pods,
      scheduled("app", "a", { pvcs: ["data"] }),
      scheduled("app", "b", { pvcs: ["other", "data"] }),
      scheduled("app", "pending", { pvcs: ["data"], phase: "Pending" }),
      scheduled("app", "unscheduled", { pvcs: ["data"], node: "" }),
      scheduled("app", "deleting", { pvcs: ["data"], deleting: true }),
      scheduled("elsewhere", "c", { pvcs: ["data"] }),
    );
    const related = await new PvcItemBlockAction(kube).getRelatedItems(forPVC("app", "data", "pv-1").build(), forBackup("velero", "b").build());
    expect(related).toEqual([pv("pv-1"), pod("app", "a"), pod("app", "b")]);
  });

  it("relates nothing for a claim that is not bound", async () => {
    const kube = new FakeKubeClient().seed(GVR.pods, scheduled("app", "a", { pvcs: ["data"] }));
    const action = new PvcItemBlockAction(kube);
    expect(await action.getRelatedItems(forPVC("app", "data").build(), forBackup("velero", "b").build())).toEqual([]);
    const lost = forPVC("app", "data", "pv-1").set("status", { phase: "Lost" }).build();
    expect(await action.getRelatedItems(lost, forBackup("velero", "b").build())).toEqual([]);
  });

  it("lists a namespace's pods once per action instance", async () => {
    const kube = new FakeKubeClient().seed(GVR.pods, scheduled("app", "a", { pvcs: ["d1"] }));
    let lists = 0;
    const list = kube.list.bind(kube);
    kube.list = async (gvr, options) => {
      if (gvr.resource === "pods") lists++;
      return list(gvr, options);
    };
    const action = new PvcItemBlockAction(kube);
    const backup = forBackup("velero", "b").build();
    await action.getRelatedItems(forPVC("app", "d1", "pv-1").build(), backup);
    expect(await action.getRelatedItems(forPVC("app", "d2", "pv-2").build(), backup)).toEqual([pv("pv-2")]);
    expect(lists).toBe(1);
  });

  it("relates the other claims of its volume group (spec.volumeGroupSnapshotLabelKey)", async () => {
    const kube = new FakeKubeClient().seed(
      GVR.persistentVolumeClaims,
      forPVC("app", "d1", "pv-1").labels({ "velero.io/volume-group": "g1" }).build(),
      forPVC("app", "d2", "pv-2").labels({ "velero.io/volume-group": "g1" }).build(),
      forPVC("app", "d3", "pv-3").labels({ "velero.io/volume-group": "g2" }).build(),
      forPVC("other", "d4", "pv-4").labels({ "velero.io/volume-group": "g1" }).build(),
    );
    const action = new PvcItemBlockAction(kube);
    const d1 = forPVC("app", "d1", "pv-1").labels({ "velero.io/volume-group": "g1" }).build();
    const grouped = forBackup("velero", "b").spec({ volumeGroupSnapshotLabelKey: "velero.io/volume-group" }).build();
    expect(await action.getRelatedItems(d1, grouped)).toEqual([pv("pv-1"), pvc("app", "d2")]);
    // No label key in the backup: no grouping.
    expect(await action.getRelatedItems(d1, forBackup("velero", "b").build())).toEqual([pv("pv-1")]);
  });
});
