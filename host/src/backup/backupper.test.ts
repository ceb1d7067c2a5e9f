import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import type { Backup, BackupItemActionV2, BackupSpec, ItemBlockAction, UnstructuredItem, VolumeSnapshotter } from "@velero-ts/plugin-sdk";
import { emptyResourceSelector } from "@velero-ts/plugin-sdk";
import { KubeApiError } from "../kube/errors.js";
import { GVR } from "../kube/gvr.js";
import {
  forBackup,
  forClusterRole,
  forClusterRoleBinding,
  forConfigMap,
  forDeployment,
  forNamespace,
  forObject,
  forPod,
  forPV,
  forPVC,
  forSecret,
  forServiceAccount,
  forVolumeSnapshotLocation,
} from "../testing/builders.js";
import { DEFAULT_FAKE_RESOURCES, FakeKubeClient, res } from "../testing/fake-kube-client.js";
import { readTarball } from "../testing/read-tarball.js";
import { createBuiltinBackupItemAction, BUILTIN_BACKUP_ITEM_ACTIONS } from "./actions/index.js";
import { BUILTIN_ITEM_BLOCK_ACTIONS, createBuiltinItemBlockAction } from "./item-block-actions/index.js";
import { BackupLogger } from "./backup-log.js";
import { KubernetesBackupper, type BackupInput } from "./backupper.js";
import { TarballWriteError, TarballWriter } from "./tar-writer.js";
import type { NamedAction } from "../plugins/manager.js";

const WIDGETS = { group: "example.io", version: "v1", resource: "widgets" };

function cluster(): FakeKubeClient {
  const kube = new FakeKubeClient([
    ...DEFAULT_FAKE_RESOURCES,
    res("", "v1", "priorityclasses", "PriorityClass", false),
    res("example.io", "v1", "widgets", "Widget", true),
    res("example.io", "v1beta1", "widgets", "Widget", true, false),
  ]);
  for (const r of kube.resources) if (r.resource === "deployments") r.shortNames = ["deploy"];
  kube
    .seed(GVR.namespaces, forNamespace("app").labels({ team: "a" }).build(), forNamespace("other").build(), forNamespace("skip").build())
    .seed(
      GVR.configMaps,
      forConfigMap("app", "cm1", { k: "<v>&" }).labels({ tier: "web" }).build(),
      forConfigMap("app", "cm-excluded").labels({ "velero.io/exclude-from-backup": "true" }).build(),
      forConfigMap("other", "cm2").build(),
    )
    .seed(GVR.secrets, forSecret("app", "s1", { p: "x" }).build())
    .seed(GVR.pods, forPod("app", "web-0", { pvcs: ["data"] }).labels({ tier: "web" }).build())
    .seed(GVR.persistentVolumeClaims, forPVC("app", "data", "pv-data").build())
    .seed(GVR.persistentVolumes, forPV("pv-data", { namespace: "app", name: "data" }).build(), forPV("pv-unused").build())
    .seed(GVR.serviceAccounts, forServiceAccount("app", "runner").build())
    .seed(
      GVR.clusterRoleBindings,
      forClusterRoleBinding("runner-binding", "runner-role", [{ kind: "ServiceAccount", name: "runner", namespace: "app" }]).build(),
      forClusterRoleBinding("unrelated", "other-role", [{ kind: "User", name: "bob" }]).build(),
    )
    .seed(GVR.clusterRoles, forClusterRole("runner-role").build(), forClusterRole("other-role").build())
    .seed({ group: "apps", version: "v1", resource: "deployments" }, forDeployment("app", "web").build())
    .seed(WIDGETS, forObject("example.io/v1", "Widget", "app", "w1").set("spec", { size: 3 }).build())
    .seed(GVR.customResourceDefinitions, forObject("apiextensions.k8s.io/v1", "CustomResourceDefinition", undefined, "widgets.example.io").build());
  return kube;
}

function builtins(kube: FakeKubeClient): NamedAction<BackupItemActionV2>[] {
  return BUILTIN_BACKUP_ITEM_ACTIONS.map((name) => {
    const v1 = createBuiltinBackupItemAction(name, kube);
    return {
      name,
      action: {
        appliesTo: () => v1.appliesTo(),
        execute: async (item: UnstructuredItem, backup: Backup) => ({ ...(await v1.execute(item, backup)), operationId: "", postOperationItems: [] }),
        progress: async () => {
          throw new Error("unused");
        },
        cancel: async () => undefined,
      },
    };
  });
}


function builtinBlockActions(kube: FakeKubeClient): NamedAction<ItemBlockAction>[] {
  return BUILTIN_ITEM_BLOCK_ACTIONS.map((name) => ({ name, action: createBuiltinItemBlockAction(name, kube) }));
}

async function run(spec: Partial<BackupSpec>, extra: Partial<BackupInput> = {}, kube = cluster()) {
  const dir = mkdtempSync(join(tmpdir(), "vt-backup-")); onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "b.tar.gz");
  const tarball = new TarballWriter(path);
  const log = new BackupLogger({ level: "debug" });
  const backup = forBackup("velero", "b1").uid("uid-b1").spec(spec).labels({ "velero.io/storage-location": "default" }).build();
  const out = await new KubernetesBackupper(kube).backup({ backup, snapshotLocations: [], tarball, log, actions: builtins(kube), ...extra });
  await tarball.close();
  const entries = await readTarball(path);
  const items = [...entries.keys()].filter((k) => k.startsWith("resources/") && !/\/v[^/]*-preferredversion\//.test(k)).sort();
  return { out, entries, items, log, kube };
}

const ns = (n: string, gr: string, name: string) => `resources/${gr}/namespaces/${n}/${name}.json`;
const cl = (gr: string, name: string) => `resources/${gr}/cluster/${name}.json`;

describe("KubernetesBackupper included namespaces that do not exist", () => {
  it("logs an error for each named one (as Velero's collectNamespaces), not for a glob matching nothing, and backs up the rest", async () => {
    const { items, log } = await run({ includedNamespaces: ["app", "ghost", "zz-*", "another-ghost"], includedResources: ["namespaces", "configmaps"] });
    expect(items).toContain(ns("app", "configmaps", "cm1"));
    expect(log.errors).toBe(2);
    expect(log.results.errors).toEqual({
      velero: [
        " resource: /namespaces message: /fail to get the namespace another-ghost specified in backup.Spec.IncludedNamespaces",
        " resource: /namespaces message: /fail to get the namespace ghost specified in backup.Spec.IncludedNamespaces",
      ],
    });
  });

  it("does not check them when namespaces are not backed up", async () => {
    const { log } = await run({ includedNamespaces: ["app", "ghost"], includedResources: ["configmaps"] });
    expect(log.errors).toBe(0);
  });
});

describe("KubernetesBackupper related and additional items that do not exist", () => {
  it("warns naming the missing item (its namespace and name replace the pod's, as in Velero's results)", async () => {
    const kube = cluster();
    kube.seed(GVR.pods, forPod("app", "orphan", { pvcs: ["no-such-claim"] }).build());
    const { items, log } = await run({ includedNamespaces: ["app"], includedResources: ["pods", "persistentvolumeclaims"] }, { itemBlockActions: builtinBlockActions(kube) }, kube);
    expect(items).toContain(ns("app", "pods", "orphan"));
    expect(log.results.warnings).toEqual({
      namespaces: {
        app: [
          " name: /no-such-claim message: /Related item was not found in Kubernetes API, can't add to item block",
          " resource: /pods name: /no-such-claim message: /Additional item was not found in Kubernetes API, can't back it up",
        ],
      },
    });
  });
});

describe("KubernetesBackupper group versions discovery could not read", () => {
  it("warns about each three times, as Velero's three discovering built-in actions do in the backup's log", async () => {
    const kube = cluster();
    kube.failedDiscovery = [{ groupVersion: "broken.example.io/v1beta1", error: "stale GroupVersion discovery: broken.example.io/v1beta1" }];
    const { items, log } = await run({ includedNamespaces: ["app"] }, {}, kube);
    expect(items).toContain(ns("app", "configmaps", "cm1"));
    expect(log.warnings).toBe(3);
    expect(log.results.warnings).toEqual({
      velero: Array(3).fill(" message: /Failed to discover group: broken.example.io/v1beta1 error: /stale GroupVersion discovery: broken.example.io/v1beta1"),
    });
  });
});

describe("KubernetesBackupper a LIST that fails", () => {
  it("logs Velero's two errors (the pager's, then the resource's by its plain name and namespace) with the API server's message", async () => {
    const kube = cluster();
    kube.failNext("list", "widgets", new KubeApiError({ statusCode: 500, reason: "InternalError", message: "conversion webhook for example.io/v1, Kind=Widget failed" }));
    const { items, log } = await run({ includedNamespaces: ["app"] }, {}, kube);
    expect(items).not.toContain(ns("app", "widgets.example.io", "w1"));
    expect(items).toContain(ns("app", "configmaps", "cm1"));
    expect(log.errors).toBe(2);
    expect(log.results.errors).toEqual({
      velero: [" message: /Error listing resources error: /conversion webhook for example.io/v1, Kind=Widget failed"],
      namespaces: { app: [" resource: /widgets message: /Error listing items error: /conversion webhook for example.io/v1, Kind=Widget failed"] },
    });
  });
});

describe("KubernetesBackupper and a large resource", () => {
  function bigNamespace(count: number): FakeKubeClient {
    const kube = cluster();
    kube.seed(GVR.namespaces, forNamespace("big").build());
    for (let i = 0; i < count; i++) kube.seed(GVR.configMaps, forConfigMap("big", `cm-${String(i).padStart(3, "0")}`).build());
    kube.listPageSize = 10;
    return kube;
  }

  it("backs it up a LIST page at a time: each page's items are counted and backed up before the next page is read", async () => {
    const kube = bigNamespace(95);
    const totals: number[] = [];
    const { items } = await run({ includedNamespaces: ["big"], includedResources: ["configmaps"] }, { onProgress: (p) => totals.push(p.totalItems) }, kube);
    expect(items.filter((k) => k.startsWith("resources/configmaps/namespaces/big/"))).toHaveLength(95);
    // the estimate grows page by page (10 items a page), as each page is handed to the item blocks
    expect([...new Set(totals)].slice(0, 10)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 95]);
    expect(kube.pagesListed).toBe(10);
  });

  it("keeps what earlier pages backed up when a later page fails, and reports the LIST's errors", async () => {
    const kube = bigNamespace(25);
    kube.failNext("list-page", "configmaps", new KubeApiError({ statusCode: 500, reason: "InternalError", message: "etcdserver: request timed out" }));
    const { items, log } = await run({ includedNamespaces: ["big"], includedResources: ["configmaps"] }, {}, kube);
    expect(items.filter((k) => k.startsWith("resources/configmaps/namespaces/big/"))).toHaveLength(10);
    expect(log.errors).toBe(2);
    expect(log.results.errors.namespaces).toEqual({ big: [" resource: /configmaps message: /Error listing items error: /etcdserver: request timed out"] });
  });
});

describe("KubernetesBackupper LISTs not older than the backup's start", () => {
  it("asks every LIST of the item collector (the namespaces' too) for a state not older than listNotOlderThan, and LISTs consistently without it", async () => {
    const listed: { resource: string; notOlderThan: string | undefined }[] = [];
    const spy = (kube: FakeKubeClient): FakeKubeClient => {
      const list = kube.list.bind(kube);
      kube.list = async (gvr, options = {}) => {
        listed.push({ resource: gvr.resource, notOlderThan: options.notOlderThan });
        return list(gvr, options);
      };
      return kube;
    };
    const { items } = await run({ includedNamespaces: ["app"] }, { listNotOlderThan: "4242" }, spy(cluster()));
    expect(items).toContain(ns("app", "configmaps", "cm1"));
    expect(listed.map((l) => l.resource)).toEqual(expect.arrayContaining(["namespaces", "configmaps", "secrets", "pods", "widgets"]));
    // the built-in service account action's own LIST of ClusterRoleBindings (Velero's lister) stays consistent
    expect(listed.filter((l) => l.notOlderThan !== "4242")).toEqual([{ resource: "clusterrolebindings", notOlderThan: undefined }]);
    listed.length = 0;
    await run({ includedNamespaces: ["app"] }, {}, spy(cluster()));
    expect(listed.length).toBeGreaterThan(5);
    expect(listed.filter((l) => l.notOlderThan !== undefined)).toEqual([]);
  });
});

describe("KubernetesBackupper and an action's additional items", () => {
  it("fails the item whose action names an additional item of a resource the cluster does not serve (it is not written), as Velero", async () => {
    const action: NamedAction<BackupItemActionV2> = {
      name: "example/ghost-for-cm1",
      action: {
        appliesTo: async () => ({ ...emptyResourceSelector(), includedResources: ["configmaps"] }),
        execute: async (item: UnstructuredItem) => ({
          item,
          additionalItems: item.metadata.name === "cm1" ? [{ group: "ghosts.example.io", resource: "ghosts", namespace: "app", name: "boo" }] : [],
          operationId: "",
          postOperationItems: [],
        }),
        progress: async () => {
          throw new Error("unused");
        },
        cancel: async () => undefined,
      },
    };
    const { items, log } = await run({ includedNamespaces: ["app"], includedResources: ["configmaps"] }, { actions: [action] });
    expect(items).not.toContain(ns("app", "configmaps", "cm1"));
    expect(log.errors).toBe(1);
    expect(log.text()).toMatch(/level=error msg="Error backing up item" .*error="additional item resource ghosts\.ghosts\.example\.io \(app\/boo\) is not served by the cluster" .*name=cm1/);
  });
});

describe("KubernetesBackupper and an action's malformed selector", () => {
  it("fails the backup naming the action (as the restore does), not only the selector", async () => {
    const action: NamedAction<BackupItemActionV2> = {
      name: "example.io/bad-selector",
      action: {
        appliesTo: async () => ({ ...emptyResourceSelector(), selector: "app in (a,b" }),
        execute: async (item: UnstructuredItem) => ({ item, additionalItems: [], operationId: "", postOperationItems: [] }),
        progress: async () => {
          throw new Error("unused");
        },
        cancel: async () => undefined,
      },
    };
    await expect(run({ includedNamespaces: ["app"] }, { actions: [action] })).rejects.toThrow(
      'backup item action "example.io/bad-selector" has an invalid label selector: invalid label selector "app in (a,b": cannot parse "app in (a,b"',
    );
  });
});

describe("KubernetesBackupper matching actions", () => {
  it("matches every action against the item as read, not as an earlier action left it (Velero's ShouldUse takes the original metadata)", async () => {
    const kube = cluster();
    // the built-in velero.io/pv action strips the stale velero.io/restore-name label before a v2 action selecting on it runs
    await kube.patch(GVR.persistentVolumeClaims, "data", "app", { metadata: { labels: { "velero.io/restore-name": "r1" } } });
    const seen: string[] = [];
    const action: NamedAction<BackupItemActionV2> = {
      name: "example/restored-claims",
      action: {
        appliesTo: async () => ({ ...emptyResourceSelector(), includedResources: ["persistentvolumeclaims"], selector: "velero.io/restore-name" }),
        execute: async (item: UnstructuredItem) => {
          seen.push(`${item.metadata.name}:${item.metadata.labels?.["velero.io/restore-name"] ?? "(stripped)"}`);
          return { item, additionalItems: [], operationId: "", postOperationItems: [] };
        },
        progress: async () => {
          throw new Error("unused");
        },
        cancel: async () => undefined,
      },
    };
    const { items } = await run({ includedNamespaces: ["app"], includedResources: ["persistentvolumeclaims"] }, { actions: [...builtins(kube), action] }, kube);
    expect(items).toContain(ns("app", "persistentvolumeclaims", "data"));
    // it ran (on the item as the earlier action returned it)
    expect(seen).toEqual(["data:(stripped)"]);
  });
});

describe("KubernetesBackupper and the built-in actions' log lines", () => {
  it("writes what Velero's built-in plugins log into the backup's log (pod, PVC, service account actions, item block actions)", async () => {
    const kube = cluster();
    await kube.patch(GVR.persistentVolumeClaims, "data", "app", { metadata: { labels: { "velero.io/restore-name": "r0" } } });
    const { log } = await run({ includedNamespaces: ["app"] }, { itemBlockActions: builtinBlockActions(kube) }, kube);
    const lines = log
      .text()
      .split("\n")
      .filter((l) => l.includes("pluginName=velero"))
      .map((l) => /msg="([^"]*)"/.exec(l)?.[1]);
    // the pod: its item block action, then its backup item action, each naming the claim
    expect(lines).toEqual(
      expect.arrayContaining(["Executing pod ItemBlockAction", "Adding pvc data to additionalItems", "Done executing pod ItemBlockAction", "Executing podAction", "Done executing podAction"]),
    );
    const podAction = lines.indexOf("Executing podAction");
    expect(lines.slice(podAction, podAction + 3)).toEqual(["Executing podAction", "Adding pvc data to additionalItems", "Done executing podAction"]);
    expect(lines).toContain("Executing PVCAction");
    expect(lines).toContain("Deleting stale Velero label velero.io/restore-name=r0 from PVC data");
    expect(lines).toContain("Executing PVC ItemBlockAction");
    expect(lines).toContain("Adding clusterrole runner-role and clusterrolebinding runner-binding to relatedItems since serviceaccount app/runner is a subject");
    expect(lines).toContain("Running ServiceAccountAction");
    // info lines only: the counts are unchanged
    expect(log.warnings).toBe(0);
  });
});

describe("KubernetesBackupper and excluded namespaces", () => {
  it("neither counts nor looks at the items of excluded namespaces (Velero lists only the selected ones); warns about namespaces Argo CD manages", async () => {
    const kube = cluster();
    await kube.patch(GVR.namespaces, "other", undefined, { metadata: { labels: { "argocd.argoproj.io/managed-by": "argocd" } } });
    await kube.patch(GVR.namespaces, "skip", undefined, { metadata: { labels: { "argocd.argoproj.io/managed-by": "argocd" } } });
    const totals: number[] = [];
    const { log, items } = await run({ excludedNamespaces: ["app", "skip"], includedResources: ["configmaps", "namespaces"] }, { onProgress: (p) => totals.push(p.totalItems) }, kube);
    expect(items).toEqual([cl("namespaces", "other"), ns("other", "configmaps", "cm2")].sort());
    // cm2 and namespace "other": the configmaps of "app" are not collected
    expect(log.text()).toContain('msg="Collected 2 items matching the backup spec');
    expect(Math.max(...totals)).toBe(2);
    expect(log.text()).not.toContain("Excluding item because namespace is excluded");
    expect(log.warnings).toBe(1);
    expect(log.text()).toContain("due to the inclusion of namespaces [other] managed by ArgoCD in the backup.");
    expect(log.text()).toContain('msg="Backing up all volumes using pod volume backup: false"');
  });

  it("says which namespaces it skips for not being Active, as Velero", async () => {
    const kube = cluster();
    kube.seed(GVR.namespaces, { ...forNamespace("going").build(), status: { phase: "Terminating" } });
    const { log, items } = await run({ includedResources: ["namespaces"] }, {}, kube);
    expect(items).not.toContain(cl("namespaces", "going"));
    expect(log.text()).toContain(`msg="Skip namespace going because it's not in Active phase."`);
  });
});

describe("KubernetesBackupper CRDs of backed-up custom resources", () => {
  it("logs an error and goes on when the CRD cannot be read (as Velero does), instead of failing the backup", async () => {
    const kube = cluster();
    kube.failNext("get", "customresourcedefinitions", new KubeApiError({ statusCode: 503, reason: "ServiceUnavailable", message: "the server is currently unable to handle the request" }));
    const { items, log } = await run({ includedNamespaces: ["app"] }, {}, kube);
    expect(items).toContain(ns("app", "widgets.example.io", "w1"));
    expect(items).not.toContain(cl("customresourcedefinitions.apiextensions.k8s.io", "widgets.example.io"));
    expect(log.errors).toBe(1);
    expect(log.text()).toMatch(/level=error msg="Error getting CRD" .*error=.* resource=widgets\.example\.io/);
  });

  const HTTPROUTES = { group: "gateway.networking.k8s.io", version: "v1", resource: "httproutes" };
  const withGatewayApi = (crdLabels: Record<string, string> = {}): FakeKubeClient => {
    const kube = cluster();
    kube.resources.push(res(HTTPROUTES.group, HTTPROUTES.version, HTTPROUTES.resource, "HTTPRoute", true));
    return kube
      .seed(HTTPROUTES, forObject("gateway.networking.k8s.io/v1", "HTTPRoute", "app", "web").build())
      .seed(GVR.customResourceDefinitions, forObject("apiextensions.k8s.io/v1", "CustomResourceDefinition", undefined, "httproutes.gateway.networking.k8s.io").labels(crdLabels).build());
  };

  it("pulls in the CRD of a custom resource in a *.k8s.io group too (the Gateway API's), logging it as Velero does", async () => {
    const { items, log } = await run({ includedNamespaces: ["app"] }, {}, withGatewayApi());
    expect(items).toContain(ns("app", "httproutes.gateway.networking.k8s.io", "web"));
    expect(items).toContain(cl("customresourcedefinitions.apiextensions.k8s.io", "httproutes.gateway.networking.k8s.io"));
    expect(log.text()).toContain('msg="Found associated CRD httproutes.gateway.networking.k8s.io to add to backup"');
    expect(log.errors).toBe(0);
  });

  it("leaves out a CRD labelled velero.io/exclude-from-backup=true (the exclusion checks apply, as in Velero)", async () => {
    const { items } = await run({ includedNamespaces: ["app"] }, {}, withGatewayApi({ "velero.io/exclude-from-backup": "true" }));
    expect(items).toContain(ns("app", "httproutes.gateway.networking.k8s.io", "web"));
    expect(items).not.toContain(cl("customresourcedefinitions.apiextensions.k8s.io", "httproutes.gateway.networking.k8s.io"));
    expect(items).toContain(cl("customresourcedefinitions.apiextensions.k8s.io", "widgets.example.io"));
  });

  it("does not look for the CRD of a resource whose items came in only as additional items of an action (Velero counts a block's own items)", async () => {
    const kube = cluster();
    const action: NamedAction<BackupItemActionV2> = {
      name: "example/widget-for-configmap",
      action: {
        appliesTo: async () => ({ ...emptyResourceSelector(), includedResources: ["configmaps"] }),
        // must-include: the widget is backed up although the backup includes configmaps only
        execute: async (item: UnstructuredItem) => ({
          item: { ...item, metadata: { ...item.metadata, annotations: { "backup.velero.io/must-include-additional-items": "true" } } },
          additionalItems: [{ group: "example.io", resource: "widgets", namespace: "app", name: "w1" }],
          operationId: "",
          postOperationItems: [],
        }),
        progress: async () => {
          throw new Error("unused");
        },
        cancel: async () => undefined,
      },
    };
    const viaAction = await run({ includedNamespaces: ["app"], includedResources: ["configmaps"] }, { actions: [action] }, kube);
    expect(viaAction.items).toContain(ns("app", "widgets.example.io", "w1"));
    expect(viaAction.items).not.toContain(cl("customresourcedefinitions.apiextensions.k8s.io", "widgets.example.io"));
  });
});

describe("KubernetesBackupper filters", () => {
  it.each([
    {
      name: "one namespace, auto cluster scope: PV/CRB/CR/CRD pulled in as additional items",
      spec: { includedNamespaces: ["app"] },
      want: [
        cl("clusterrolebindings.rbac.authorization.k8s.io", "runner-binding"),
        cl("clusterroles.rbac.authorization.k8s.io", "runner-role"),
        cl("customresourcedefinitions.apiextensions.k8s.io", "widgets.example.io"),
        ns("app", "configmaps", "cm1"),
        ns("app", "deployments.apps", "web"),
        ns("app", "persistentvolumeclaims", "data"),
        ns("app", "pods", "web-0"),
        ns("app", "secrets", "s1"),
        ns("app", "serviceaccounts", "runner"),
        ns("app", "widgets.example.io", "w1"),
        cl("namespaces", "app"),
        cl("persistentvolumes", "pv-data"),
      ],
    },
    {
      name: "glob namespaces and excluded resources",
      spec: { includedNamespaces: ["ap?", "oth*"], excludedResources: ["secrets", "deploy", "widgets.example.io"] },
      want: [
        cl("clusterrolebindings.rbac.authorization.k8s.io", "runner-binding"),
        cl("clusterroles.rbac.authorization.k8s.io", "runner-role"),
        ns("app", "configmaps", "cm1"),
        ns("other", "configmaps", "cm2"),
        ns("app", "persistentvolumeclaims", "data"),
        ns("app", "pods", "web-0"),
        ns("app", "serviceaccounts", "runner"),
        cl("namespaces", "app"),
        cl("namespaces", "other"),
        cl("persistentvolumes", "pv-data"),
      ],
    },
    {
      name: "includeClusterResources=false drops every cluster-scoped item",
      spec: { includedNamespaces: ["app"], includedResources: ["pods", "persistentvolumeclaims", "persistentvolumes"], includeClusterResources: false },
      want: [ns("app", "persistentvolumeclaims", "data"), ns("app", "pods", "web-0")],
    },
    {
      name: "includeClusterResources=true backs up all cluster-scoped resources",
      spec: { includedNamespaces: ["other"], includedResources: ["configmaps", "persistentvolumes"], includeClusterResources: true },
      want: [ns("other", "configmaps", "cm2"), cl("persistentvolumes", "pv-data"), cl("persistentvolumes", "pv-unused")],
    },
    {
      name: "new-style scoped filters",
      spec: { includedNamespaces: ["app"], includedNamespaceScopedResources: ["configmaps"], includedClusterScopedResources: ["clusterroles"] },
      want: [cl("clusterroles.rbac.authorization.k8s.io", "other-role"), cl("clusterroles.rbac.authorization.k8s.io", "runner-role"), ns("app", "configmaps", "cm1"), cl("namespaces", "app")],
    },
    {
      name: "label selector selects items and their namespace",
      spec: { labelSelector: { matchLabels: { tier: "web" } }, includedResources: ["configmaps", "pods"] },
      want: [ns("app", "configmaps", "cm1"), ns("app", "pods", "web-0")],
    },
    {
      name: "or-label-selectors",
      spec: { orLabelSelectors: [{ matchLabels: { tier: "web" } }, { matchLabels: { team: "a" } }], includedResources: ["configmaps", "namespaces"] },
      want: [ns("app", "configmaps", "cm1"), cl("namespaces", "app")],
    },
    {
      name: "excluded namespaces",
      spec: { excludedNamespaces: ["app", "skip"], includedResources: ["configmaps", "namespaces"] },
      want: [ns("other", "configmaps", "cm2"), cl("namespaces", "other")],
    },
  ])("$name", async ({ spec, want }) => {
    const { items } = await run(spec as Partial<BackupSpec>);
    expect(items).toEqual([...want].sort());
  });
});

describe("KubernetesBackupper tarball", () => {
  it("writes metadata/version first, mode 0755 regular files, both item paths and Go-escaped compact JSON", async () => {
    const { entries, out } = await run({ includedNamespaces: ["app"], includedResources: ["configmaps"] });
    const names = [...entries.keys()];
    expect(names[0]).toBe("metadata/version");
    expect(entries.get("metadata/version")?.data).toBe("1.1.0\n");
    for (const e of entries.values()) {
      expect(e.mode).toBe(0o755);
      expect(e.type).toBe("file");
    }
    const plain = entries.get("resources/configmaps/namespaces/app/cm1.json")?.data ?? "";
    expect(entries.get("resources/configmaps/v1-preferredversion/namespaces/app/cm1.json")?.data).toBe(plain);
    expect(plain).toContain('"data":{"k":"\\u003cv\\u003e\\u0026"}');
    expect(plain.startsWith('{"apiVersion":"v1","data":')).toBe(true);
    expect(out.resourceList).toEqual({ "v1/ConfigMap": ["app/cm1"] });
  });

  it("writes long paths with PAX headers intact", async () => {
    const kube = cluster();
    const long = "x".repeat(200);
    kube.seed(GVR.configMaps, forConfigMap("app", long).build());
    const { entries } = await run({ includedNamespaces: ["app"], includedResources: ["configmaps"] }, {}, kube);
    expect(entries.has(`resources/configmaps/namespaces/app/${long}.json`)).toBe(true);
  });

  it("orders items by orderedResources", async () => {
    const kube = cluster();
    kube.seed(GVR.configMaps, forConfigMap("app", "a").build(), forConfigMap("app", "z").build());
    const { entries } = await run({ includedNamespaces: ["app"], includedResources: ["configmaps"], orderedResources: { configmaps: "app/z,app/cm1" } }, {}, kube);
    const order = [...entries.keys()].filter((k) => k.startsWith("resources/configmaps/namespaces"));
    expect(order).toEqual(["resources/configmaps/namespaces/app/z.json", "resources/configmaps/namespaces/app/cm1.json", "resources/configmaps/namespaces/app/a.json"]);
  });

  it("backs up an additional item only once and reports progress", async () => {
    const kube = cluster();
    kube.seed(GVR.pods, forPod("app", "web-1", { pvcs: ["data"] }).build());
    const progress: number[] = [];
    const { entries, out } = await run({ includedNamespaces: ["app"] }, { onProgress: (p) => progress.push(p.itemsBackedUp) }, kube);
    expect([...entries.keys()].filter((k) => k === "resources/persistentvolumes/cluster/pv-data.json")).toHaveLength(1);
    expect(out.progress).toEqual({ totalItems: out.progress.itemsBackedUp, itemsBackedUp: 13 });
    expect(progress.at(-1)).toBe(13);
  });
});

describe("KubernetesBackupper snapshots and hooks", () => {
  function snapshotter(calls: string[]): VolumeSnapshotter {
    return {
      init: async () => undefined,
      getVolumeId: async (pv) => (pv.metadata.name === "pv-data" ? "vol-1" : ""),
      getVolumeInfo: async (id, az) => (calls.push(`info ${id} ${az}`), { volumeType: "gp3", iops: 100 }),
      createSnapshot: async (id, az, tags) => (calls.push(`snap ${id} ${JSON.stringify(tags)}`), "snap-1"),
      deleteSnapshot: async () => undefined,
      createVolumeFromSnapshot: async () => "",
      setVolumeId: async (pv) => pv,
    };
  }

  it("snapshots PVs through the VSL with Velero's tags", async () => {
    const calls: string[] = [];
    const vsl = forVolumeSnapshotLocation("velero", "default").build();
    const { out } = await run({ includedNamespaces: ["app"] }, { snapshotLocations: [vsl], volumeSnapshotter: async () => snapshotter(calls) });
    expect(calls).toEqual(["info vol-1 ", `snap vol-1 ${JSON.stringify({ "velero.io/storage-location": "default", "velero.io/backup": "b1", "velero.io/pv": "pv-data" })}`]);
    expect(out.volumeSnapshots).toEqual([
      {
        spec: { backupName: "b1", backupUID: "uid-b1", location: "default", persistentVolumeName: "pv-data", providerVolumeID: "vol-1", volumeType: "gp3", volumeIOPS: 100 },
        status: { providerSnapshotID: "snap-1", phase: "Completed" },
      },
    ]);
    expect(out.volumeInfo[0]).toMatchObject({ pvName: "pv-data", backupMethod: "NativeSnapshot", result: "succeeded" });
    // as Velero's newNativeSnapshotInfo: iops as a number ("0" when none), the Go field Phase, no start time
    expect(out.volumeInfo[0]?.nativeSnapshotInfo).toMatchObject({ snapshotHandle: "snap-1", Phase: "Completed" });
    expect(out.volumeInfo[0]?.nativeSnapshotInfo?.iops).toMatch(/^\d+$/);
    expect(out.volumeInfo[0]).not.toHaveProperty("startTimestamp");
    // the fields in the order of Velero's BackupVolumeInfo struct, which its JSON keeps
    expect(Object.keys(out.volumeInfo[0] ?? {})).toEqual(["pvcName", "pvcNamespace", "pvName", "backupMethod", "snapshotDataMoved", "preserveLocalSnapshot", "skipped", "result", "nativeSnapshotInfo", "pvInfo"]);
  });

  it("snapshotMoveData: warns per PV, as Velero does, that a VolumeSnapshotter moves no data (and snapshots natively all the same)", async () => {
    const calls: string[] = [];
    const vsl = forVolumeSnapshotLocation("velero", "default").build();
    const { out, log } = await run({ includedNamespaces: ["app"], snapshotMoveData: true }, { snapshotLocations: [vsl], volumeSnapshotter: async () => snapshotter(calls) });
    expect(out.volumeSnapshots).toHaveLength(1);
    expect(log.warnings).toBe(1);
    expect(log.text()).toMatch(/level=warning msg="VolumeSnapshotter plugin doesn't support data movement." .*persistentVolume=pv-data/);
  });

  it("a claim labelled velero.io/exclude-from-backup: its PV's volume info is skipped by any approach, as Velero records it", async () => {
    const kube = cluster();
    kube.seed(GVR.persistentVolumeClaims, forPVC("app", "data", "pv-data").labels({ "velero.io/exclude-from-backup": "true" }).build());
    const { out, items } = await run({ includedNamespaces: ["app"], includeClusterResources: true, snapshotVolumes: false }, { actions: builtins(kube) }, kube);
    expect(items).not.toContain(ns("app", "persistentvolumeclaims", "data"));
    expect(out.volumeInfo.find((v) => v.pvName === "pv-data")?.skippedReason).toBe(
      "any: item has label velero.io/exclude-from-backup=true;volumeSnapshot: not satisfy the criteria for VolumePolicy or the legacy snapshot way;",
    );
  });

  it("a claim its pod's volume opted out of fs-backup: the PV's volume info says so before the snapshot reason, as Velero does; an opted-in volume is tried (and skipped here)", async () => {
    const reason = async (annotations: Record<string, string>, spec: Partial<BackupSpec> = {}): Promise<string | undefined> => {
      const kube = cluster();
      kube.seed(GVR.pods, forPod("app", "web-0", { pvcs: ["data"] }).labels({ tier: "web" }).annotations(annotations).build());
      const { out } = await run({ includedNamespaces: ["app"], snapshotVolumes: false, ...spec }, { actions: builtins(kube) }, kube);
      const info = out.volumeInfo.find((v) => v.pvName === "pv-data");
      // skippedReason right after skipped, as in Velero's BackupVolumeInfo struct; a PV without labels has labels: null
      expect(Object.keys(info ?? {})).toEqual(["pvcName", "pvcNamespace", "pvName", "snapshotDataMoved", "preserveLocalSnapshot", "skipped", "skippedReason", "pvInfo"]);
      expect(info?.pvInfo).toEqual({ reclaimPolicy: "", labels: null });
      return info?.skippedReason;
    };
    const snapshotReason = "volumeSnapshot: not satisfy the criteria for VolumePolicy or the legacy snapshot way;";
    expect(await reason({})).toBe(`podvolume: opted out due to annotation in pod web-0;${snapshotReason}`);
    // Opted in (the pod's volume is vol-0, claim data): chosen for fs-backup, which this server
    // cannot do; the pod is not scheduled here, so the volume is only skipped, with that reason.
    const problem = /^podvolume: encountered a problem with backing up the PVC of pod app\/web-0: pod is not scheduled, .*;volumeSnapshot: not satisfy/;
    expect(await reason({ "backup.velero.io/backup-volumes": "other,vol-0" })).toMatch(problem);
    // as Velero, the list is split on "," alone: " vol-0" is not vol-0
    expect(await reason({ "backup.velero.io/backup-volumes": "other, vol-0" })).toBe(`podvolume: opted out due to annotation in pod web-0;${snapshotReason}`);
    expect(await reason({}, { defaultVolumesToFsBackup: true })).toMatch(problem);
    expect(await reason({ "backup.velero.io/backup-volumes-excludes": "vol-0" }, { defaultVolumesToFsBackup: true })).toBe(`podvolume: opted out due to annotation in pod web-0;${snapshotReason}`);
  });

  it("a PVC volume is left out of fs-backup when the backup's filters exclude PVCs, not when snapshotMoveData is set (Velero's backup volume helper)", async () => {
    const fsErrors = async (spec: Partial<BackupSpec>): Promise<number> => {
      const kube = cluster();
      const pod = forPod("app", "web-0", { pvcs: ["data"] }).labels({ tier: "web" }).annotations({ "backup.velero.io/backup-volumes": "vol-0" }).build();
      (pod.spec as { nodeName?: string }).nodeName = "node-1";
      (pod as { status?: unknown }).status = { phase: "Running" };
      kube.seed(GVR.pods, pod);
      const { log } = await run({ includedNamespaces: ["app"], ...spec }, {}, kube);
      // chosen for fs-backup, which this engine cannot do here: the pod fails with that error, and the advice fits the opt-in
      const errors = JSON.stringify(log.results.errors);
      if (errors.includes("fs-backup of volumes")) expect(errors).toContain("(remove them from the pod's backup.velero.io/backup-volumes annotation)");
      return (errors.match(/fs-backup of volumes/g) ?? []).length;
    };
    expect(await fsErrors({})).toBe(1);
    expect(await fsErrors({ excludedResources: ["persistentvolumeclaims"] })).toBe(0);
    expect(await fsErrors({ snapshotMoveData: true })).toBe(1);
  });

  it("a volume chosen by --default-volumes-to-fs-backup gets the advice for that way (no annotation to remove)", async () => {
    const kube = cluster();
    const pod = forPod("app", "web-0", { pvcs: ["data"] }).labels({ tier: "web" }).build();
    (pod.spec as { nodeName?: string }).nodeName = "node-1";
    (pod as { status?: unknown }).status = { phase: "Running" };
    kube.seed(GVR.pods, pod);
    const { log } = await run({ includedNamespaces: ["app"], defaultVolumesToFsBackup: true }, {}, kube);
    expect(JSON.stringify(log.results.errors)).toContain(
      "velero-ts has no node agent: file-system backup (kopia/restic) of pod volumes is not implemented; back these volumes up with snapshots instead (list them in the pod's backup.velero.io/backup-volumes-excludes annotation, or back up without --default-volumes-to-fs-backup)",
    );
  });

  it("does not snapshot a PV that a pod using its claim backs up with fs-backup (opt-in, or the default without an opt-out), as Velero's volume helper", async () => {
    const vsl = forVolumeSnapshotLocation("velero", "default").build();
    const snapshotsWith = async (annotations: Record<string, string>, spec: Partial<BackupSpec> = {}): Promise<string[]> => {
      const calls: string[] = [];
      const kube = cluster();
      // web-0 mounts claim data as volume vol-0
      kube.seed(GVR.pods, forPod("app", "web-0", { pvcs: ["data"] }).labels({ tier: "web" }).annotations(annotations).build());
      const { out } = await run({ includedNamespaces: ["app"], ...spec }, { snapshotLocations: [vsl], volumeSnapshotter: async () => snapshotter(calls) }, kube);
      expect(out.volumeSnapshots.length).toBe(calls.filter((c) => c.startsWith("snap")).length);
      return calls.filter((c) => c.startsWith("snap"));
    };
    expect(await snapshotsWith({})).toHaveLength(1);
    expect(await snapshotsWith({ "backup.velero.io/backup-volumes": "vol-0" })).toEqual([]);
    expect(await snapshotsWith({}, { defaultVolumesToFsBackup: true })).toEqual([]);
    expect(await snapshotsWith({ "backup.velero.io/backup-volumes-excludes": "vol-0" }, { defaultVolumesToFsBackup: true })).toHaveLength(1);
    // a cluster-scoped backup of the PV alone: the claim's pod is not in the backup, so the PV is
    // snapshotted (as Velero, whose PVC-to-pod cache holds the backup's namespaces only)
    expect(await snapshotsWith({ "backup.velero.io/backup-volumes": "vol-0" }, { includedNamespaces: ["other"], includeClusterResources: true })).toHaveLength(1);
  });

  it("finds a PV's zone as Velero does: its label (even empty), else node affinity, a GKE regional disk's zones joined with __", async () => {
    const vsl = forVolumeSnapshotLocation("velero", "default").build();
    const zoneWith = async (patch: object): Promise<string> => {
      const calls: string[] = [];
      const kube = cluster();
      await kube.patch(GVR.persistentVolumes, "pv-data", undefined, patch);
      await run({ includedNamespaces: ["app"] }, { snapshotLocations: [vsl], volumeSnapshotter: async () => snapshotter(calls) }, kube);
      return (calls.find((c) => c.startsWith("info ")) ?? "").slice("info vol-1 ".length);
    };
    const affinity = (...exprs: { key: string; values: string[] }[][]) => ({
      spec: { nodeAffinity: { required: { nodeSelectorTerms: exprs.map((e) => ({ matchExpressions: e.map((x) => ({ ...x, operator: "In" })) })) } } },
    });
    const gke = "topology.gke.io/zone";
    expect(await zoneWith(affinity([{ key: gke, values: ["us-central1-a"] }], [{ key: gke, values: ["us-central1-b"] }]))).toBe("us-central1-a__us-central1-b");
    expect(await zoneWith(affinity([{ key: gke, values: ["us-central1-a"] }], [{ key: "topology.ebs.csi.aws.com/zone", values: ["us-east-1c"] }]))).toBe("us-east-1c");
    expect(await zoneWith({ metadata: { labels: { "topology.kubernetes.io/zone": "eu-west-1a" } }, ...affinity([{ key: gke, values: ["x"] }]) })).toBe("eu-west-1a");
    expect(await zoneWith({ metadata: { labels: { "failure-domain.beta.kubernetes.io/zone": "" } }, ...affinity([{ key: gke, values: ["x"] }]) })).toBe("");
  });

  it("fails the PV with Velero's wrapped error when the volume's info cannot be had, and names the step that failed for each location", async () => {
    const vsl = forVolumeSnapshotLocation("velero", "default").build();
    const failing: VolumeSnapshotter = { ...snapshotter([]), getVolumeInfo: async () => Promise.reject(new Error("DescribeVolumes: throttled")) };
    const { out, items, log } = await run({ includedNamespaces: ["app"] }, { snapshotLocations: [vsl], volumeSnapshotter: async () => failing });
    expect(items).not.toContain(cl("persistentvolumes", "pv-data"));
    expect(log.text()).toMatch(/level=error msg="Error backing up item" .*error="error getting volume info: DescribeVolumes: throttled"/);
    expect(out.volumeSnapshots).toEqual([]);
    // web-0 mounts the claim without choosing fs-backup: that reason stays; there is no snapshot
    expect(out.volumeInfo.find((v) => v.pvName === "pv-data")).toMatchObject({ skipped: true, skippedReason: "podvolume: opted out due to annotation in pod web-0;" });
    expect(out.volumeInfo.find((v) => v.pvName === "pv-data")).not.toHaveProperty("backupMethod");

    const broken = await run({ includedNamespaces: ["app"] }, { snapshotLocations: [vsl], volumeSnapshotter: async () => Promise.reject(new Error("no plugin")) });
    expect(broken.log.text()).toContain('msg="Error getting volume snapshotter for volume snapshot location"');
    const noId = await run({ includedNamespaces: ["app"] }, { snapshotLocations: [vsl], volumeSnapshotter: async () => ({ ...snapshotter([]), getVolumeId: async () => Promise.reject(new Error("bad pv")) }) });
    expect(noId.log.text()).toContain('msg="Error attempting to get volume ID for persistent volume"');
  });

  it("does not snapshot when snapshotVolumes is false", async () => {
    const calls: string[] = [];
    const vsl = forVolumeSnapshotLocation("velero", "default").build();
    const { out } = await run({ includedNamespaces: ["app"], snapshotVolumes: false }, { snapshotLocations: [vsl], volumeSnapshotter: async () => snapshotter(calls) });
    expect(calls).toEqual([]);
    expect(out.volumeSnapshots).toEqual([]);
  });

  it("runs annotation pre/post hooks around the pod and its volumes; a failed Fail hook skips the pod", async () => {
    const kube = cluster();
    kube.seed(
      GVR.pods,
      forPod("app", "web-0", { pvcs: ["data"] })
        .annotations({ "pre.hook.backup.velero.io/command": '["/bin/sync"]', "post.hook.backup.velero.io/command": "/bin/thaw" })
        .build(),
      forPod("app", "bad").annotations({ "pre.hook.backup.velero.io/command": "/bin/false", "pre.hook.backup.velero.io/on-error": "Fail" }).build(),
    );
    const execs: string[] = [];
    kube.execHandler = async (i) => {
      execs.push(`${i.pod}:${i.container}:${i.command.join(" ")}:${i.timeoutMs}`);
      return { stdout: "", stderr: "", exitCode: i.command[0] === "/bin/false" ? 1 : 0 };
    };
    const { out, items, log } = await run({ includedNamespaces: ["app"] }, {}, kube);
    expect(execs).toEqual(["bad:main:/bin/false:30000", "web-0:main:/bin/sync:30000", "web-0:main:/bin/thaw:30000"]);
    expect(out.hookStatus).toEqual({ hooksAttempted: 3, hooksFailed: 1 });
    expect(items).not.toContain(ns("app", "pods", "bad"));
    expect(items).toContain(ns("app", "pods", "web-0"));
    expect(log.errors).toBeGreaterThan(0);
    // as Velero (its BackedUpItems): the skipped pod is in the resource list, though not in the tarball
    expect(out.resourceList["v1/Pod"]).toEqual(["app/bad", "app/web-0"]);
  });

  it("after a spec hook fails in Fail mode, the pod's remaining hooks are not run and count as attempted, not failed (Velero's hook tracker)", async () => {
    const kube = cluster();
    const execs: string[] = [];
    kube.execHandler = async (i) => {
      execs.push(i.command.join(" "));
      return { stdout: "", stderr: "", exitCode: i.command[0] === "freeze" ? 1 : 0 };
    };
    const { out, items } = await run(
      {
        includedNamespaces: ["app"],
        hooks: {
          resources: [
            {
              name: "h",
              includedNamespaces: ["app"],
              labelSelector: { matchLabels: { tier: "web" } },
              pre: [{ exec: { command: ["freeze"], onError: "Fail" } }, { exec: { command: ["flush"] } }, { exec: { command: ["sync"] } }],
            },
          ],
        },
      },
      {},
      kube,
    );
    expect(execs).toEqual(["freeze"]);
    expect(out.hookStatus).toEqual({ hooksAttempted: 3, hooksFailed: 1 });
    expect(items).not.toContain(ns("app", "pods", "web-0"));
  });

  it("runs spec hooks with Continue semantics", async () => {
    const kube = cluster();
    kube.execHandler = async () => ({ stdout: "", stderr: "boom", exitCode: 2 });
    const { out, items } = await run(
      {
        includedNamespaces: ["app"],
        hooks: { resources: [{ name: "h", includedNamespaces: ["app"], labelSelector: { matchLabels: { tier: "web" } }, pre: [{ exec: { command: ["x"], onError: "Continue", timeout: "5s" } }] }] },
      },
      {},
      kube,
    );
    expect(out.hookStatus).toEqual({ hooksAttempted: 1, hooksFailed: 1 });
    expect(items).toContain(ns("app", "pods", "web-0"));
  });

  it("a failed hook with no on-error mode (annotation or spec) does not skip the pod: only an explicit Fail does, as in Velero v1.18.1", async () => {
    const kube = cluster();
    kube.seed(
      GVR.pods,
      forPod("app", "unset").annotations({ "pre.hook.backup.velero.io/command": "/bin/false", "post.hook.backup.velero.io/command": "/bin/thaw" }).build(),
    );
    const execs: string[] = [];
    kube.execHandler = async (i) => {
      execs.push(`${i.pod}:${i.command.join(" ")}`);
      return { stdout: "", stderr: "", exitCode: i.command[0] === "/bin/thaw" ? 0 : 1 };
    };
    const { out, items, log } = await run(
      {
        includedNamespaces: ["app"],
        hooks: { resources: [{ name: "h", includedNamespaces: ["app"], labelSelector: { matchLabels: { tier: "web" } }, pre: [{ exec: { command: ["first"] } }, { exec: { command: ["second"] } }] }] },
      },
      {},
      kube,
    );
    // The annotated pod: its pre hook failed, it is backed up all the same and its post hook runs.
    expect(items).toContain(ns("app", "pods", "unset"));
    expect(execs).toContain("unset:/bin/thaw");
    // The spec hooks of web-0: the first failed with no mode set, so the second still runs.
    expect(execs.filter((e) => e.startsWith("web-0:"))).toEqual(["web-0:first", "web-0:second"]);
    expect(items).toContain(ns("app", "pods", "web-0"));
    expect(out.hookStatus).toEqual({ hooksAttempted: 4, hooksFailed: 3 });
    // Logged as Velero logs it: the executor shows the unset mode as Fail.
    expect(log.text()).toMatch(/msg="running exec hook" .*hookCommand="\[\/bin\/false\]" .*hookOnError=Fail .*hookTimeout="\{30s\}" hookType=exec/);
  });

  it("post hooks still run when the tarball cannot be written: a pod frozen by its pre hook is thawed before the backup fails", async () => {
    const kube = cluster();
    kube.seed(GVR.pods, forPod("app", "web-0").annotations({ "pre.hook.backup.velero.io/command": "/bin/freeze", "post.hook.backup.velero.io/command": "/bin/thaw" }).build());
    const execs: string[] = [];
    kube.execHandler = async (i) => (execs.push(`${i.pod}:${i.command.join(" ")}`), { stdout: "", stderr: "", exitCode: 0 });
    const dir = mkdtempSync(join(tmpdir(), "vt-backup-")); onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const writer = new TarballWriter(join(dir, "b.tar.gz"));
    const tarball = {
      writeVersion: () => writer.writeVersion(),
      appendCopies: (paths: readonly string[], data: Buffer | string) => {
        if (paths.some((p) => p.startsWith("resources/pods/namespaces/app/web-0"))) throw new TarballWriteError(join(dir, "b.tar.gz"), Object.assign(new Error("no space left on device"), { code: "ENOSPC" }));
        return writer.appendCopies(paths, data);
      },
    };
    const backup = forBackup("velero", "b1").uid("uid-b1").spec({ includedNamespaces: ["app"] }).build();
    const log = new BackupLogger({ level: "debug" });
    await expect(new KubernetesBackupper(kube).backup({ backup, snapshotLocations: [], tarball, log, actions: builtins(kube) })).rejects.toThrow(/its filesystem is full/);
    await writer.close();
    expect(execs).toEqual(["web-0:/bin/freeze", "web-0:/bin/thaw"]);
  });

  it("a negative hook timeout means no timeout (Velero arms its timer only for a positive one); an unparsable one warns with Go's reason", async () => {
    const kube = cluster();
    kube.seed(
      GVR.pods,
      forPod("app", "neg").annotations({ "pre.hook.backup.velero.io/command": "/bin/sync", "pre.hook.backup.velero.io/timeout": "-1s" }).build(),
      forPod("app", "bad").annotations({ "pre.hook.backup.velero.io/command": "/bin/sync", "pre.hook.backup.velero.io/timeout": "5x" }).build(),
    );
    const timeouts: string[] = [];
    kube.execHandler = async (i) => (timeouts.push(`${i.pod}:${i.timeoutMs}`), { stdout: "", stderr: "", exitCode: 0 });
    const { out, log } = await run({ includedNamespaces: ["app"] }, {}, kube);
    expect(timeouts).toEqual(["bad:30000", "neg:Infinity"]);
    expect(out.hookStatus).toEqual({ hooksAttempted: 2, hooksFailed: 0 });
    expect(log.text()).toMatch(/hookTimeout="\{-1s\}"/);
    expect(log.text()).toContain('Unable to parse provided timeout 5x, using default: time: unknown unit \\"x\\" in duration \\"5x\\"');
  });

  it("a spec hook's unparsable timeout runs it with the default and says so once, as an annotation's (a warning)", async () => {
    const kube = cluster();
    const timeouts: string[] = [];
    kube.execHandler = async (i) => (timeouts.push(`${i.pod}:${i.timeoutMs}`), { stdout: "", stderr: "", exitCode: 0 });
    const { log } = await run({ includedNamespaces: ["app"], hooks: { resources: [{ name: "h", pre: [{ exec: { command: ["/bin/sync"], timeout: "zz" } }] }] } }, {}, kube);
    expect(timeouts).toEqual(["web-0:30000"]);
    expect(log.text().match(/Unable to parse provided timeout zz, using default/g)).toHaveLength(1);
    expect(log.warnings).toBe(1);
  });

  it("a spec hook whose label selector Kubernetes refuses fails the backup, in Kubernetes' words (NotIn with no values matched every pod)", async () => {
    const kube = cluster();
    const execs: string[] = [];
    kube.execHandler = async (i) => (execs.push(i.pod), { stdout: "", stderr: "", exitCode: 0 });
    await expect(
      run(
        {
          includedNamespaces: ["app"],
          hooks: { resources: [{ name: "h", labelSelector: { matchExpressions: [{ key: "tier", operator: "NotIn", values: [] }] }, pre: [{ exec: { command: ["x"] } }] }] },
        },
        {},
        kube,
      ),
    ).rejects.toThrow("values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty");
    expect(execs).toEqual([]);
  });

  it("counts hooks as Velero's tracker does: a spec hook without a name fails without running; two entries of one name matching a pod run both but count once", async () => {
    const kube = cluster();
    const execs: string[] = [];
    kube.execHandler = async (i) => (execs.push(`${i.pod}:${i.command.join(" ")}`), { stdout: "", stderr: "", exitCode: 0 });
    const { out, log } = await run(
      {
        includedNamespaces: ["app"],
        hooks: {
          resources: [
            { name: "", includedNamespaces: ["app"], labelSelector: { matchLabels: { tier: "web" } }, pre: [{ exec: { command: ["nameless"] } }] },
            { name: "twice", includedNamespaces: ["app"], labelSelector: { matchLabels: { tier: "web" } }, pre: [{ exec: { command: ["one"] } }] },
            { name: "twice", includedNamespaces: ["app"], labelSelector: { matchLabels: { tier: "web" } }, pre: [{ exec: { command: ["two"] } }] },
          ],
        },
      },
      {},
      kube,
    );
    expect(execs).toEqual(["web-0:one", "web-0:two"]);
    expect(out.hookStatus).toEqual({ hooksAttempted: 2, hooksFailed: 1 });
    expect(log.text()).toMatch(/msg="Error executing hook" error="hookName is required"|level=error msg="Error executing hook".*hookName is required/);
  });

  it("logs the (empty) output of an exec that could not start, as Velero does whenever the stream ends; not after a timeout", async () => {
    const kube = cluster();
    kube.seed(
      GVR.pods,
      forPod("app", "refused").annotations({ "pre.hook.backup.velero.io/command": "/bin/sync" }).build(),
      forPod("app", "slow").annotations({ "pre.hook.backup.velero.io/command": "/bin/sleep" }).build(),
    );
    kube.execHandler = async (i) => {
      if (i.pod === "refused") throw new KubeApiError({ statusCode: 403, reason: "Forbidden", message: "pods \"refused\" is forbidden: cannot create resource \"pods/exec\"" });
      throw new KubeApiError({ statusCode: 0, reason: "Timeout", message: "timed out" });
    };
    const { out, log } = await run({ includedNamespaces: ["app"] }, {}, kube);
    expect(out.hookStatus).toEqual({ hooksAttempted: 2, hooksFailed: 2 });
    const lines = log.text().split("\n");
    const outputLines = (pod: string) => lines.filter((l) => /msg="(stdout|stderr): "/.test(l) && l.includes(`hookCommand="[/bin/${pod}]"`));
    expect(outputLines("sync")).toHaveLength(2);
    expect(outputLines("sleep")).toHaveLength(0);
    expect(log.text()).toContain("timed out after 30s");
  });

  it("records async operations of v2 actions with capitalised resource identifiers", async () => {
    const kube = cluster();
    const action: NamedAction<BackupItemActionV2> = {
      name: "example.io/async",
      action: {
        appliesTo: async () => ({ includedNamespaces: [], excludedNamespaces: [], includedResources: ["configmaps"], excludedResources: [], selector: "" }),
        execute: async (item) => ({ item, additionalItems: [], operationId: "op-1", postOperationItems: [] }),
        progress: async () => ({ completed: true, err: "", nCompleted: 1, nTotal: 1, operationUnits: "", description: "" }),
        cancel: async () => undefined,
      },
    };
    const { out } = await run({ includedNamespaces: ["other"], includedResources: ["configmaps"] }, { actions: [action] }, kube);
    expect(out.itemOperations).toHaveLength(1);
    expect(out.itemOperations[0]?.spec.resourceIdentifier).toEqual({ Group: "", Resource: "configmaps", Namespace: "other", Name: "cm2" });
    // no post-operation items: null, as Go writes a nil slice in a field without omitempty
    expect(out.itemOperations[0]?.spec).toHaveProperty("postOperationItems", null);
  });
});

describe("KubernetesBackupper and a deeply nested item", () => {
  it("backs it up exactly (the API server accepts ~10,000 levels; Velero backs such items up)", async () => {
    const kube = cluster();
    const text = `{"apiVersion":"v1","data":{"x":${"[".repeat(9500)}${"]".repeat(9500)}},"kind":"ConfigMap","metadata":{"name":"deep","namespace":"app"}}`;
    // Handed over as the HTTP client would (parsed from the response); the fake's seed() clones, which such depth defeats.
    const list = kube.list.bind(kube);
    kube.list = async (gvr, options) => {
      const page = await list(gvr, options);
      if (gvr.resource === "configmaps" && options?.namespace === "app") page.items.push(JSON.parse(text) as UnstructuredItem);
      return page;
    };
    const { items, entries, log, out } = await run({ includedNamespaces: ["app"], includedResources: ["configmaps"] }, {}, kube);
    expect(items).toContain(ns("app", "configmaps", "deep"));
    expect(entries.get(ns("app", "configmaps", "deep"))?.data).toBe(text);
    expect(log.errors).toBe(0);
    expect(out.progress.itemsBackedUp).toBe(out.progress.totalItems);
  });
});

describe("KubernetesBackupper and a malformed item from an action", () => {
  it("fails that item with an error naming the plugin and what is missing, and backs up the rest", async () => {
    const kube = cluster();
    const action: NamedAction<BackupItemActionV2> = {
      name: "example.io/broken",
      action: {
        appliesTo: async () => ({ includedNamespaces: [], excludedNamespaces: [], includedResources: ["configmaps"], excludedResources: [], selector: "" }),
        execute: async (item) => ({ item: (item.metadata.name === "cm2" ? { kind: "ConfigMap" } : item) as UnstructuredItem, additionalItems: [], operationId: "", postOperationItems: [] }),
        progress: async () => ({ completed: true, err: "", nCompleted: 1, nTotal: 1, operationUnits: "", description: "" }),
        cancel: async () => undefined,
      },
    };
    const { items, log } = await run({ includedNamespaces: ["app", "other"], includedResources: ["configmaps"] }, { actions: [action] }, kube);
    expect(items).toContain(ns("app", "configmaps", "cm1"));
    expect(items).not.toContain(ns("other", "configmaps", "cm2"));
    expect(log.errors).toBe(1);
    expect(log.text()).toContain("plugin example.io/broken returned an item without metadata; an action must return the item it was given, changed or not (fix the plugin)");
  });
});

describe("KubernetesBackupper and items an action fails or skips", () => {
  it("an item its action fails is counted and listed (as Velero's BackedUpItems has it) but not in the tarball; one an action skips is neither", async () => {
    const kube = cluster();
    const action: NamedAction<BackupItemActionV2> = {
      name: "example.io/picky",
      action: {
        appliesTo: async () => ({ includedNamespaces: [], excludedNamespaces: [], includedResources: ["configmaps"], excludedResources: [], selector: "" }),
        execute: async (item) => {
          if (item.metadata.namespace === "other") throw new Error("no thanks");
          return { item: { ...item, metadata: { ...item.metadata, annotations: { "velero.io/skip-from-backup": "" } } }, additionalItems: [], operationId: "", postOperationItems: [] };
        },
        progress: async () => ({ completed: true, err: "", nCompleted: 1, nTotal: 1, operationUnits: "", description: "" }),
        cancel: async () => undefined,
      },
    };
    const { items, log, out } = await run({ includedNamespaces: ["app", "other"], includedResources: ["configmaps"] }, { actions: [action] }, kube);
    expect(log.errors).toBe(1);
    expect(items.filter((i) => i.includes("configmaps"))).toEqual([]);
    expect(out.resourceList["v1/ConfigMap"]).toEqual(["other/cm2"]);
    expect(out.progress).toEqual({ totalItems: 1, itemsBackedUp: 1 });
  });
});

describe("KubernetesBackupper when a resource type vanishes after discovery", () => {
  it("warns and skips it when listing answers 404, but counts other list failures as errors", async () => {
    const gone = cluster();
    gone.failNext("list", "widgets", new KubeApiError({ statusCode: 404, reason: "NotFound", message: "404 page not found" }), 10);
    const skipped = await run({ includedNamespaces: ["app"] }, {}, gone);
    expect(skipped.log.errors).toBe(0);
    expect(skipped.log.warnings).toBeGreaterThan(0);
    expect(skipped.items).toContain(ns("app", "configmaps", "cm1"));

    const broken = cluster();
    broken.failNext("list", "widgets", new KubeApiError({ statusCode: 500, reason: "InternalError", message: "etcd timeout" }), 10);
    const failed = await run({ includedNamespaces: ["app"] }, {}, broken);
    expect(failed.log.errors).toBeGreaterThan(0);
  });
});

describe("KubernetesBackupper item blocks", () => {
  /** Namespace "blocks": pods a and b mount PVC "shared" (bound to pv-shared), pod c has no volume; all Running on a node. */
  function blocksCluster(): FakeKubeClient {
    const kube = cluster();
    const scheduled = (b: ReturnType<typeof forPod>) => {
      const pod = b.annotations({ "pre.hook.backup.velero.io/command": "pre", "post.hook.backup.velero.io/command": "post" }).build();
      (pod.spec as { nodeName?: string }).nodeName = "node-1";
      return pod;
    };
    kube
      .seed(GVR.namespaces, forNamespace("blocks").build())
      .seed(GVR.pods, scheduled(forPod("blocks", "a", { pvcs: ["shared"] })), scheduled(forPod("blocks", "b", { pvcs: ["shared"] })), scheduled(forPod("blocks", "c")))
      .seed(GVR.persistentVolumeClaims, forPVC("blocks", "shared", "pv-shared").build())
      .seed(GVR.persistentVolumes, forPV("pv-shared", { namespace: "blocks", name: "shared" }).build());
    return kube;
  }

  /** Runs a backup recording hook execs and item writes (plain item paths) in one event list. */
  async function runRecorded(kube: FakeKubeClient, spec: Partial<BackupSpec>, extra: Partial<BackupInput> = {}) {
    const events: string[] = [];
    kube.execHandler = async (i) => {
      events.push(`${i.command.join(" ")} ${i.pod}`);
      return { stdout: "", stderr: "", exitCode: 0 };
    };
    const dir = mkdtempSync(join(tmpdir(), "vt-backup-")); onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const writer = new TarballWriter(join(dir, "b.tar.gz"));
    const tarball = {
      writeVersion: () => writer.writeVersion(),
      appendCopies: (paths: readonly string[], data: Buffer | string) => {
        for (const path of paths) if (!/\/v[^/]*-preferredversion\//.test(path)) events.push(path.replace(/^resources\/|\.json$/g, ""));
        return writer.appendCopies(paths, data);
      },
    };
    const log = new BackupLogger({ level: "debug" });
    const backup = forBackup("velero", "b1").uid("uid-b1").spec(spec).build();
    const out = await new KubernetesBackupper(kube).backup({ backup, snapshotLocations: [], tarball, log, actions: builtins(kube), ...extra });
    await writer.close();
    return { events, out, log };
  }

  it("puts two pods sharing a PVC in one block with the PVC and PV: both pods' pre hooks run before any item of the block, the post hooks after all", async () => {
    const kube = blocksCluster();
    const { events, out } = await runRecorded(kube, { includedNamespaces: ["blocks"] }, { itemBlockActions: builtinBlockActions(kube) });
    // (An item is written after the additional items its actions bring in: PV, PVC, then pod a.)
    const block = ["pre a", "pre b", "persistentvolumes/cluster/pv-shared", "persistentvolumeclaims/namespaces/blocks/shared", "pods/namespaces/blocks/a", "pods/namespaces/blocks/b", "post a", "post b"];
    expect(events.slice(0, block.length)).toEqual(block);
    expect(events.slice(block.length, block.length + 3)).toEqual(["pre c", "pods/namespaces/blocks/c", "post c"]);
    // Every item once.
    expect(events.filter((e) => e === "persistentvolumeclaims/namespaces/blocks/shared")).toHaveLength(1);
    expect(out.hookStatus).toEqual({ hooksAttempted: 6, hooksFailed: 0 });
  });

  it("without ItemBlockActions every pod is its own block (hooks around each pod alone)", async () => {
    const kube = blocksCluster();
    const { events } = await runRecorded(kube, { includedNamespaces: ["blocks"] });
    expect(events.slice(0, 8)).toEqual([
      "pre a",
      "persistentvolumes/cluster/pv-shared",
      "persistentvolumeclaims/namespaces/blocks/shared",
      "pods/namespaces/blocks/a",
      "post a",
      "pre b",
      "pods/namespaces/blocks/b",
      "post b",
    ]);
  });

  it("does not relate pods that are not running to a PVC (Velero's pvc action lists running pods only)", async () => {
    const kube = blocksCluster();
    await kube.patch(GVR.pods, "b", "blocks", { status: { phase: "Pending" } });
    const { events } = await runRecorded(kube, { includedNamespaces: ["blocks"] }, { itemBlockActions: builtinBlockActions(kube) });
    expect(events.slice(0, 5)).toEqual(["pre a", "persistentvolumes/cluster/pv-shared", "persistentvolumeclaims/namespaces/blocks/shared", "pods/namespaces/blocks/a", "post a"]);
  });

  /** An ItemBlockAction on config maps labelled group=x relating the items its "related" annotation names ("resource/namespace/name", comma separated). */
  function annotationIba(calls: string[] = []): NamedAction<ItemBlockAction> {
    return {
      name: "example.io/related",
      action: {
        appliesTo: async () => ({ includedNamespaces: [], excludedNamespaces: [], includedResources: ["configmaps"], excludedResources: [], selector: "group=x" }),
        getRelatedItems: async (item) => {
          calls.push(item.metadata.name);
          if (item.metadata.name === "cm-boom") throw new Error("related items unavailable");
          return (item.metadata.annotations?.["related"] ?? "")
            .split(",")
            .filter(Boolean)
            .map((r) => {
              const [resource = "", namespace = "", name = ""] = r.split("/");
              return { group: "", resource, namespace, name };
            });
        },
      },
    };
  }

  it("groups a plugin ItemBlockAction's related items (from the collected list or the API server) into the block, honours its AppliesTo selector, and keeps excluded related items out", async () => {
    const kube = cluster();
    kube
      .seed(GVR.namespaces, forNamespace("rel").build())
      .seed(
        GVR.configMaps,
        forConfigMap("rel", "cm-a").labels({ group: "x" }).annotations({ related: "configmaps/rel/cm-z,secrets/rel/s-1,configmaps/other/cm2,configmaps/rel/missing" }).build(),
        forConfigMap("rel", "cm-b").annotations({ related: "configmaps/rel/cm-y" }).build(),
        forConfigMap("rel", "cm-y").build(),
        forConfigMap("rel", "cm-z").labels({ group: "x" }).annotations({ related: "configmaps/rel/cm-a" }).build(),
      )
      .seed(GVR.secrets, forSecret("rel", "s-1", { k: "v" }).build());
    const calls: string[] = [];
    const { events, log } = await runRecorded(kube, { includedNamespaces: ["rel"], includedResources: ["configmaps", "secrets"] }, { itemBlockActions: [annotationIba(calls)] });
    // cm-a's block: cm-a, cm-z (listed, later in the list), s-1 (a resource listed later: read from the API server).
    // cm-b is not labelled group=x: the action does not apply, so cm-y stays in its own place.
    expect(events).toEqual([
      "configmaps/namespaces/rel/cm-a",
      "configmaps/namespaces/rel/cm-z",
      "secrets/namespaces/rel/s-1",
      "configmaps/namespaces/rel/cm-b",
      "configmaps/namespaces/rel/cm-y",
    ]);
    // The action ran on cm-a and (transitively) cm-z only; cm-z relating cm-a back ends the recursion.
    expect(calls).toEqual(["cm-a", "cm-z"]);
    // "other" is not an included namespace: its config map is not added; a missing one is a warning.
    expect(events).not.toContain("configmaps/namespaces/other/cm2");
    expect(log.text()).toMatch(/Related item was not found in Kubernetes API, can't add to item block/);
    expect(log.errors).toBe(0);
  });

  it("logs an ItemBlockAction error and still backs up the item", async () => {
    const kube = cluster();
    kube.seed(GVR.namespaces, forNamespace("rel").build()).seed(GVR.configMaps, forConfigMap("rel", "cm-boom").labels({ group: "x" }).build());
    const { events, log } = await runRecorded(kube, { includedNamespaces: ["rel"], includedResources: ["configmaps"] }, { itemBlockActions: [annotationIba()] });
    expect(events).toEqual(["configmaps/namespaces/rel/cm-boom"]);
    expect(log.errors).toBe(1);
    expect(log.text()).toMatch(/error executing ItemBlock action \(groupResource=configmaps, namespace=rel, name=cm-boom\)/);
  });

  it("puts consecutive ordered items of one resource (spec.orderedResources) in one block", async () => {
    const kube = blocksCluster();
    const { events } = await runRecorded(kube, { includedNamespaces: ["blocks"], orderedResources: { pods: "blocks/c,blocks/a" } });
    expect(events.slice(0, 7)).toEqual(["pre c", "pre a", "pods/namespaces/blocks/c", "persistentvolumes/cluster/pv-shared", "persistentvolumeclaims/namespaces/blocks/shared", "pods/namespaces/blocks/a", "post c"]);
    expect(events.slice(7, 11)).toEqual(["post a", "pre b", "pods/namespaces/blocks/b", "post b"]);
  });

  it("backs up itemBlockWorkers blocks at once", async () => {
    const kube = blocksCluster();
    const { events, out } = await (async () => {
      let releaseA: () => void = () => undefined;
      const aWaits = new Promise<void>((r) => (releaseA = r));
      const recorded: string[] = [];
      kube.execHandler = async (i) => {
        recorded.push(`${i.command.join(" ")} ${i.pod}`);
        // a's pre hook finishes only once c's pre hook has run: c's block must run alongside a's.
        if (i.pod === "a" && i.command[0] === "pre") await aWaits;
        if (i.pod === "c" && i.command[0] === "pre") releaseA();
        return { stdout: "", stderr: "", exitCode: 0 };
      };
      const dir = mkdtempSync(join(tmpdir(), "vt-backup-")); onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
      const tarball = new TarballWriter(join(dir, "b.tar.gz"));
      const backup = forBackup("velero", "b1").uid("uid-b1").spec({ includedNamespaces: ["blocks"] }).build();
      const result = await new KubernetesBackupper(kube).backup({
        backup,
        snapshotLocations: [],
        tarball,
        log: new BackupLogger({ level: "info" }),
        actions: builtins(kube),
        itemBlockActions: builtinBlockActions(kube),
        itemBlockWorkers: 2,
      });
      await tarball.close();
      return { events: recorded, out: result };
    })();
    expect(events.indexOf("pre c")).toBeLessThan(events.indexOf("post a"));
    expect(out.resourceList["v1/Pod"]).toEqual(["blocks/a", "blocks/b", "blocks/c"]);
    expect(out.hookStatus).toEqual({ hooksAttempted: 6, hooksFailed: 0 });
  });
});

describe("KubernetesBackupper finalize (post-operation items)", () => {
  function stampAction(): NamedAction<BackupItemActionV2> {
    return {
      name: "example.io/stamp",
      action: {
        appliesTo: async () => ({ includedNamespaces: ["app"], excludedNamespaces: [], includedResources: ["configmaps", "persistentvolumes"], excludedResources: [], selector: "" }),
        execute: async (item, backup) => {
          const annotations: Record<string, string> = { ...item.metadata.annotations, stamped: backup.metadata.name ?? "" };
          if (item.metadata.name === "cm-skip") annotations["velero.io/skip-from-backup"] = "true";
          return {
            item: { ...item, metadata: { ...item.metadata, annotations } },
            additionalItems: item.metadata.name === "cm1" ? [{ group: "", resource: "configmaps", namespace: "other", name: "cm2" }] : [],
            operationId: item.metadata.name === "cm-op" ? "op-again" : "",
            postOperationItems: [],
          };
        },
        progress: async () => ({ completed: true, err: "", nCompleted: 0, nTotal: 0, operationUnits: "", description: "" }),
        cancel: async () => undefined,
      },
    };
  }

  async function finalize(kube: FakeKubeClient, items: { group?: string; resource: string; namespace?: string; name: string }[]) {
    const log = new BackupLogger({ level: "debug" });
    const backup = forBackup("velero", "b1").uid("uid-b1").spec({ includedNamespaces: ["app"], includedResources: ["pods"] }).build();
    const out = await new KubernetesBackupper(kube).finalize({
      backup,
      items: items.map((i) => ({ group: i.group ?? "", resource: i.resource, namespace: i.namespace ?? "", name: i.name })),
      actions: [stampAction()],
      log,
    });
    return { ...out, log };
  }

  it("reads each post-operation item again and runs the applicable actions on it; their additional items skip the exclusion checks", async () => {
    const kube = cluster();
    await kube.patch(GVR.configMaps, "cm1", "app", { data: { k: "fresh" } });
    const { files, failed } = await finalize(kube, [{ resource: "configmaps", namespace: "app", name: "cm1" }]);
    expect(failed).toBe(0);
    expect([...files.keys()].sort()).toEqual([
      ns("app", "configmaps", "cm1"),
      ns("other", "configmaps", "cm2"),
      "resources/configmaps/v1-preferredversion/namespaces/app/cm1.json",
      "resources/configmaps/v1-preferredversion/namespaces/other/cm2.json",
    ]);
    expect(JSON.parse(files.get(ns("app", "configmaps", "cm1")) ?? "{}")).toMatchObject({ data: { k: "fresh" }, metadata: { annotations: { stamped: "b1" } } });
    // The action's AppliesTo (namespace app) is honoured: cm2 in "other" is backed up as is.
    expect(JSON.parse(files.get(ns("other", "configmaps", "cm2")) ?? "{}").metadata.annotations).toBeUndefined();
  });

  it("fails an item whose action starts a new operation, keeps nothing of it; an item an action skips is left alone; a missing item fails", async () => {
    const kube = cluster();
    kube.seed(GVR.configMaps, forConfigMap("app", "cm-op").build(), forConfigMap("app", "cm-skip").build());
    const { files, failed, log } = await finalize(kube, [
      { resource: "configmaps", namespace: "app", name: "cm-op" },
      { resource: "configmaps", namespace: "app", name: "cm-skip" },
      { resource: "configmaps", namespace: "app", name: "gone" },
      { resource: "configmaps", namespace: "app", name: "cm1" },
    ]);
    expect(failed).toBe(2);
    expect([...files.keys()].filter((k) => !k.includes("preferredversion")).sort()).toEqual([ns("app", "configmaps", "cm1"), ns("other", "configmaps", "cm2")]);
    expect(log.text()).toMatch(/backup Item Action created operation during finalize \(groupResource=configmaps, namespace=app, name=cm-op\)/);
    expect(log.text()).toMatch(/post-operation item configmaps app\/gone was not found in the cluster/);
  });

  it("re-backs-up a persistent volume without going through volume snapshots again", async () => {
    const log = new BackupLogger({ level: "debug" });
    const out = await new KubernetesBackupper(cluster()).finalize({
      backup: forBackup("velero", "b1").build(),
      items: [{ group: "", resource: "persistentvolumes", namespace: "", name: "pv-data" }],
      actions: [stampAction()],
      log,
    });
    expect(out.failed).toBe(0);
    // Cluster-scoped: the stamp action (namespace app only) does not apply.
    expect(JSON.parse(out.files.get(cl("persistentvolumes", "pv-data")) ?? "{}").metadata).toMatchObject({ name: "pv-data" });
    expect(JSON.parse(out.files.get(cl("persistentvolumes", "pv-data")) ?? "{}").metadata.annotations).toBeUndefined();
    expect(log.text()).not.toMatch(/snapshot/i);
  });
});
