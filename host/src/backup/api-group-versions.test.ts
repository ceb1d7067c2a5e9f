import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { BackupItemActionV2, BackupSpec, ItemBlockAction, UnstructuredItem } from "@velero-ts/plugin-sdk";
import { emptyResourceSelector } from "@velero-ts/plugin-sdk";
import { GVR } from "../kube/gvr.js";
import type { NamedAction } from "../plugins/manager.js";
import { API_GROUP_VERSIONS_FEATURE, FeatureFlags } from "../shared/features.js";
import { forBackup, forConfigMap, forNamespace, forObject } from "../testing/builders.js";
import { DEFAULT_FAKE_RESOURCES, FakeKubeClient, res } from "../testing/fake-kube-client.js";
import { readTarball } from "../testing/read-tarball.js";
import { resourceVersionsToBackUp } from "./api-group-versions.js";
import { BackupLogger } from "./backup-log.js";
import { KubernetesBackupper } from "./backupper.js";
import { ResourceCatalog } from "./resources.js";
import { TarballWriter } from "./tar-writer.js";

const FLAG = new FeatureFlags([API_GROUP_VERSIONS_FEATURE]);

/** example.io serves widgets at v1 (preferred) and v2beta1, and gadgets only at v2beta1. */
function cluster(): FakeKubeClient {
  const kube = new FakeKubeClient([
    ...DEFAULT_FAKE_RESOURCES,
    res("example.io", "v1", "widgets", "Widget", true),
    res("example.io", "v2beta1", "widgets", "Widget", true, false),
    res("example.io", "v2beta1", "gadgets", "Gadget", true, false),
  ]);
  kube
    .seed(GVR.namespaces, forNamespace("app").build())
    .seed({ group: "example.io", version: "v1", resource: "widgets" }, forObject("example.io/v1", "Widget", "app", "w1").set("spec", { size: 3 }).build())
    .seed({ group: "example.io", version: "v2beta1", resource: "gadgets" }, forObject("example.io/v2beta1", "Gadget", "app", "g1").build());
  return kube;
}

async function readTar(path: string): Promise<Map<string, string>> {
  return new Map([...(await readTarball(path))].map(([name, e]) => [name, e.data]));
}

async function backUp(
  options: { features?: FeatureFlags; actions?: NamedAction<BackupItemActionV2>[]; itemBlockActions?: NamedAction<ItemBlockAction>[]; spec?: Partial<BackupSpec>; kube?: FakeKubeClient } = {},
) {
  const kube = options.kube ?? cluster();
  const dir = mkdtempSync(join(tmpdir(), "vt-apigv-"));
  const path = join(dir, "b.tar.gz");
  const tarball = new TarballWriter(path);
  const log = new BackupLogger({ level: "debug" });
  const backup = forBackup("velero", "b1").uid("uid-b1").spec({ includedNamespaces: ["app"], ...options.spec }).build();
  const out = await new KubernetesBackupper(kube).backup({
    backup,
    snapshotLocations: [],
    tarball,
    log,
    actions: options.actions ?? [],
    ...(options.itemBlockActions ? { itemBlockActions: options.itemBlockActions } : {}),
    ...(options.features ? { features: options.features } : {}),
  });
  await tarball.close();
  const entries = await readTar(path);
  rmSync(dir, { recursive: true, force: true });
  const keys = [...entries.keys()].filter((k) => k.startsWith("resources/") && k.includes(".example.io/")).sort();
  return { out, entries, keys, log };
}

describe("resourceVersionsToBackUp", () => {
  const catalog = new ResourceCatalog([
    res("", "v1", "configmaps", "ConfigMap", true),
    res("example.io", "v1", "widgets", "Widget", true),
    res("example.io", "v1", "things", "Thing", true),
    res("example.io", "v2beta1", "widgets", "Widget", true, false),
    res("example.io", "v2beta1", "gadgets", "Gadget", true, false),
    res("extensions", "v1beta1", "ingresses", "Ingress", true),
    res("other.io", "v1", "foos", "Foo", true),
    res("other.io", "v1alpha1", "foos", "Foo", true, false),
  ]);
  const show = (flag: boolean) => resourceVersionsToBackUp(catalog, flag).map(({ listed, preferred }) => `${listed.group}/${listed.version}/${listed.resource}->${preferred.version}`);

  it.each([
    {
      name: "without the flag: each resource at its preferred version only",
      flag: false,
      // gadgets: not served by the group's preferred version, so its first served one (ServerPreferredResources)
      want: ["/v1/configmaps->v1", "example.io/v1/widgets->v1", "example.io/v1/things->v1", "example.io/v2beta1/gadgets->v2beta1", "other.io/v1/foos->v1", "extensions/v1beta1/ingresses->v1beta1"],
    },
    {
      name: "with the flag: each resource's other served versions right after its preferred one, extensions still last",
      flag: true,
      want: [
        "/v1/configmaps->v1",
        "example.io/v1/widgets->v1",
        "example.io/v2beta1/widgets->v1",
        "example.io/v1/things->v1",
        "example.io/v2beta1/gadgets->v2beta1",
        "other.io/v1/foos->v1",
        "other.io/v1alpha1/foos->v1",
        "extensions/v1beta1/ingresses->v1beta1",
      ],
    },
  ])("$name", ({ flag, want }) => {
    expect(show(flag)).toEqual(want);
  });
});

describe("KubernetesBackupper with EnableAPIGroupVersions", () => {
  it("writes only the preferred version (plain and <v>-preferredversion) without the flag", async () => {
    const { keys, out } = await backUp();
    expect(keys).toEqual([
      "resources/gadgets.example.io/namespaces/app/g1.json",
      "resources/gadgets.example.io/v2beta1-preferredversion/namespaces/app/g1.json",
      "resources/widgets.example.io/namespaces/app/w1.json",
      "resources/widgets.example.io/v1-preferredversion/namespaces/app/w1.json",
    ]);
    expect(Object.keys(out.resourceList).filter((k) => k.startsWith("example.io"))).toEqual(["example.io/v1/Widget", "example.io/v2beta1/Gadget"]);
  });

  it("writes every served version with the flag, the non-preferred ones under their own version directory only", async () => {
    const { keys, entries, out, log } = await backUp({ features: FLAG });
    expect(keys).toEqual([
      "resources/gadgets.example.io/namespaces/app/g1.json",
      "resources/gadgets.example.io/v2beta1-preferredversion/namespaces/app/g1.json",
      "resources/widgets.example.io/namespaces/app/w1.json",
      "resources/widgets.example.io/v1-preferredversion/namespaces/app/w1.json",
      "resources/widgets.example.io/v2beta1/namespaces/app/w1.json",
    ]);
    const at = (k: string) => JSON.parse(entries.get(k) ?? "{}") as UnstructuredItem;
    expect(at("resources/widgets.example.io/v2beta1/namespaces/app/w1.json")).toMatchObject({ apiVersion: "example.io/v2beta1", kind: "Widget", spec: { size: 3 } });
    expect(at("resources/widgets.example.io/v1-preferredversion/namespaces/app/w1.json").apiVersion).toBe("example.io/v1");
    expect(at("resources/widgets.example.io/namespaces/app/w1.json").apiVersion).toBe("example.io/v1");
    expect(out.resourceList).toMatchObject({ "example.io/v1/Widget": ["app/w1"], "example.io/v2beta1/Widget": ["app/w1"], "example.io/v2beta1/Gadget": ["app/g1"] });
    expect(log.text()).toContain("The 'EnableAPIGroupVersions' feature flag was specified, using all API group versions.");
    expect(log.text()).toContain("Resource widgets.example.io/w1, version= v1, preferredVersion=v1");
  });

  it("ignores flags it does not know and the flag in another spelling", async () => {
    const { keys } = await backUp({ features: new FeatureFlags(["EnableCSI", "enableapigroupversions"]) });
    expect(keys.some((k) => k.includes("/v2beta1/"))).toBe(false);
  });

  it("files an item under the version it was read at even when an action changes its apiVersion", async () => {
    const toV2beta1: BackupItemActionV2 = {
      appliesTo: async () => ({ ...emptyResourceSelector(), includedResources: ["widgets.example.io"] }),
      execute: async (item) => ({ item: { ...item, apiVersion: "example.io/v2beta1" }, additionalItems: [], operationId: "", postOperationItems: [] }),
      progress: async () => {
        throw new Error("unused");
      },
      cancel: async () => undefined,
    };
    const { keys, entries } = await backUp({ actions: [{ name: "test.io/to-v2beta1", action: toV2beta1 }] });
    expect(keys.filter((k) => k.includes("/widgets."))).toEqual(["resources/widgets.example.io/namespaces/app/w1.json", "resources/widgets.example.io/v1-preferredversion/namespaces/app/w1.json"]);
    expect((JSON.parse(entries.get("resources/widgets.example.io/namespaces/app/w1.json") ?? "{}") as UnstructuredItem).apiVersion).toBe("example.io/v2beta1");
  });

  it("backs up all versions of an item together (one item block) before the next item", async () => {
    const kube = cluster();
    kube.seed({ group: "example.io", version: "v1", resource: "widgets" }, forObject("example.io/v1", "Widget", "app", "w2").build());
    const { entries } = await backUp({ features: FLAG, kube, spec: { includedResources: ["widgets.example.io"] } });
    expect([...entries.keys()].filter((k) => k.startsWith("resources/widgets."))).toEqual([
      "resources/widgets.example.io/namespaces/app/w1.json",
      "resources/widgets.example.io/v1-preferredversion/namespaces/app/w1.json",
      "resources/widgets.example.io/v2beta1/namespaces/app/w1.json",
      "resources/widgets.example.io/namespaces/app/w2.json",
      "resources/widgets.example.io/v1-preferredversion/namespaces/app/w2.json",
      "resources/widgets.example.io/v2beta1/namespaces/app/w2.json",
    ]);
  });

  it("a related item read from the API server joins the block with every served version (Velero finds them all collected)", async () => {
    const kube = cluster();
    kube.seed(GVR.configMaps, forConfigMap("app", "owner").build());
    const relateWidget: NamedAction<ItemBlockAction> = {
      name: "test.io/owner-widget",
      action: {
        appliesTo: async () => ({ ...emptyResourceSelector(), includedResources: ["configmaps"] }),
        getRelatedItems: async (item) => (item.metadata.name === "owner" ? [{ group: "example.io", resource: "widgets", namespace: "app", name: "w1" }] : []),
      },
    };
    const { entries, log } = await backUp({ features: FLAG, kube, itemBlockActions: [relateWidget], spec: { includedResources: ["configmaps", "widgets.example.io"] } });
    // The widget is backed up in the config map's block, each version once, right after the config map.
    const keys = [...entries.keys()].filter((k) => k.startsWith("resources/"));
    expect(keys.slice(keys.indexOf("resources/configmaps/namespaces/app/owner.json"), keys.indexOf("resources/configmaps/namespaces/app/owner.json") + 5)).toEqual([
      "resources/configmaps/namespaces/app/owner.json",
      "resources/configmaps/v1-preferredversion/namespaces/app/owner.json",
      "resources/widgets.example.io/namespaces/app/w1.json",
      "resources/widgets.example.io/v1-preferredversion/namespaces/app/w1.json",
      "resources/widgets.example.io/v2beta1/namespaces/app/w1.json",
    ]);
    expect(keys.filter((k) => k.includes("/w1.json"))).toHaveLength(3);
    expect(log.text()).toContain("Backing Up Item Block including configmaps app/owner (3 items in block)");
  });

  it("an additional item found in the block is backed up at each of its versions at once", async () => {
    const kube = cluster();
    kube.seed(GVR.configMaps, forConfigMap("app", "owner").build());
    const relateWidget: NamedAction<ItemBlockAction> = {
      name: "test.io/owner-widget",
      action: {
        appliesTo: async () => ({ ...emptyResourceSelector(), includedResources: ["configmaps"] }),
        getRelatedItems: async () => [{ group: "example.io", resource: "widgets", namespace: "app", name: "w1" }],
      },
    };
    const addWidget: BackupItemActionV2 = {
      appliesTo: async () => ({ ...emptyResourceSelector(), includedResources: ["configmaps"] }),
      execute: async (item) => ({ item, additionalItems: [{ group: "example.io", resource: "widgets", namespace: "app", name: "w1" }], operationId: "", postOperationItems: [] }),
      progress: async () => {
        throw new Error("unused");
      },
      cancel: async () => undefined,
    };
    // The owner's block holds both versions of w1; the owner's action names w1, so both are written
    // (as additional items) before the owner itself.
    const { entries } = await backUp({
      features: FLAG,
      kube,
      itemBlockActions: [relateWidget],
      actions: [{ name: "test.io/owner-adds-widget", action: addWidget }],
      spec: { includedResources: ["widgets.example.io", "configmaps"] },
    });
    expect([...entries.keys()].filter((k) => k.includes("/owner.json") || k.includes("/w1.json"))).toEqual([
      "resources/widgets.example.io/namespaces/app/w1.json",
      "resources/widgets.example.io/v1-preferredversion/namespaces/app/w1.json",
      "resources/widgets.example.io/v2beta1/namespaces/app/w1.json",
      "resources/configmaps/namespaces/app/owner.json",
      "resources/configmaps/v1-preferredversion/namespaces/app/owner.json",
    ]);
  });
});
