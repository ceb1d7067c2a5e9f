import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import { KubeApiError } from "../kube/errors.js";
import { GVR } from "../kube/gvr.js";
import { API_GROUP_VERSIONS_FEATURE, FeatureFlags } from "../shared/features.js";
import type { Logger } from "../shared/logging.js";
import { res } from "../testing/fake-kube-client.js";
import { chooseVersionsToRestore, loadUserVersionPriorities, parseUserVersionPriorities } from "./api-group-versions.js";
import type { BackupResource } from "./backup-contents.js";
import type { ServedGroup } from "./discovery.js";
import { KubernetesRestorer } from "./restorer.js";
import { buildBackupTarball, type TarItem } from "./testing/backup-tarball.js";
import { forBackupObject, forConfigMap, forItem, forRestoreObject } from "./testing/fixtures.js";
import { InstantClock } from "./testing/instant-clock.js";
import { gvrOf, RESTORE_FAKE_RESOURCES, RestoreFakeKube } from "./testing/restore-fake-kube.js";

interface LogLine {
  level: string;
  msg: string;
}

function captureLog(records: LogLine[] = []): Logger & { records: LogLine[] } {
  const at = (level: string) => (obj: object | string, msg?: string) => void records.push({ level, msg: typeof obj === "string" ? obj : (msg ?? "") });
  return { records, trace: at("trace"), debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error"), child: () => captureLog(records) };
}

const RG = "widgets.example.io";
const backupDirs = (versionDirs: string[], groupResource = RG): BackupResource => ({ groupResource, itemsByNamespace: new Map(), versionDirs });
const served = (preferredVersion: string, versions: string[], name = "example.io"): ServedGroup => ({ name, preferredVersion, versions });

describe("chooseVersionsToRestore (Velero's API group version priorities)", () => {
  it.each([
    { name: "group not served by the cluster: the backup's preferred copy", dirs: ["v1-preferredversion", "v2beta1"], target: undefined, want: "v1-preferredversion" },
    { name: "group served without versions: the backup's preferred copy", dirs: ["v1-preferredversion", "v2beta1"], target: served("", []), want: "v1-preferredversion" },
    { name: "priority 1: the cluster's preferred version is the backup's preferred one", dirs: ["v1-preferredversion", "v2beta1"], target: served("v1", ["v1", "v2beta1"]), want: "v1-preferredversion" },
    { name: "priority 1: the cluster prefers another version the backup has", dirs: ["v1-preferredversion", "v2beta1"], target: served("v2beta1", ["v2beta1", "v1"]), want: "v2beta1" },
    { name: "priority 2: the backup's preferred version, served by the cluster", dirs: ["v1-preferredversion", "v2beta1"], target: served("v2", ["v2", "v1"]), want: "v1-preferredversion" },
    { name: "priority 3: the common non-preferred version", dirs: ["v1-preferredversion", "v2beta1"], target: served("v2", ["v2", "v2beta1"]), want: "v2beta1" },
    {
      name: "priority 3: the common version of highest Kubernetes priority (GA > beta > alpha)",
      dirs: ["v1alpha1", "v1beta1", "v2beta2", "v3-preferredversion"],
      target: served("v4", ["v4", "v1alpha1", "v1beta1", "v2beta2"]),
      want: "v2beta2",
    },
    {
      name: "priority 3 leaves out each side's top version, even a common one (Velero's rule)",
      dirs: ["v1-preferredversion", "v2"],
      target: served("v3", ["v3", "v2"]),
      want: "v1-preferredversion",
    },
    { name: "nothing in common: the backup's preferred copy", dirs: ["v1-preferredversion"], target: served("v2", ["v2"]), want: "v1-preferredversion" },
    { name: "core group", dirs: ["v1-preferredversion"], target: served("v1", ["v1"], ""), want: "v1-preferredversion", rg: "configmaps" },
  ])("$name", ({ dirs, target, want, rg }) => {
    const chosen = chooseVersionsToRestore({ resources: [backupDirs(dirs, rg)], target: () => target, log: captureLog() });
    expect(chosen.get(rg ?? RG)?.dir).toBe(want);
  });

  it.each([
    { name: "the first user version both sides have", user: "v2beta1,v1", want: { version: "v2beta1", dir: "v2beta1" } },
    { name: "a user version the backup preferred keeps the -preferredversion directory", user: "v1,v2beta1", want: { version: "v1", dir: "v1-preferredversion" } },
    { name: "user versions the cluster does not serve are skipped", user: "v3,v9,v2beta1", want: { version: "v2beta1", dir: "v2beta1" } },
    { name: "no usable user version: the default priorities", user: "v3,v9", want: { version: "v1", dir: "v1-preferredversion" } },
  ])("priority 0 (user ConfigMap): $name", ({ user, want }) => {
    const priorities = parseUserVersionPriorities(`${RG}=${user}`, captureLog());
    const chosen = chooseVersionsToRestore({ resources: [backupDirs(["v1-preferredversion", "v2beta1"])], target: () => served("v1", ["v1", "v2beta1", "v3"]), user: priorities, log: captureLog() });
    expect(chosen.get(RG)).toEqual(want);
  });

  it("logs each decision with Velero's messages", () => {
    const log = captureLog();
    const user = parseUserVersionPriorities("other.example.io=v1", log);
    chooseVersionsToRestore({ resources: [backupDirs(["v1-preferredversion", "v2beta1"])], target: () => served("v2", ["v2", "v2beta1"]), user, log });
    expect(log.records).toEqual([
      { level: "info", msg: `Cannot find user defined version in both the cluster and backup cluster. Ignoring version  for ${RG}` },
      { level: "info", msg: `Cannot find cluster preferred API group version in backup. Ignoring version v2 for ${RG}` },
      { level: "info", msg: `Cannot find backup preferred API group version in cluster. Ignoring version v1 for ${RG}` },
      { level: "debug", msg: `APIGroupVersionsFeatureFlag Priority 3: Common supported but not preferred API group version v2beta1 chosen for ${RG}` },
    ]);
  });

  it("leaves resources without versioned copies to the unversioned path", () => {
    expect(chooseVersionsToRestore({ resources: [backupDirs([])], target: () => served("v1", ["v1"]), log: captureLog() }).size).toBe(0);
  });
});

describe("parseUserVersionPriorities (restoreResourcesVersionPriority)", () => {
  it.each([
    { name: "one line per resource", data: "rockbands.music.example.io=v2beta1,v2beta2\norchestras.music.example.io=v2,v3alpha1\n", want: { "rockbands.music.example.io": ["v2beta1", "v2beta2"], "orchestras.music.example.io": ["v2", "v3alpha1"] } },
    { name: "spaces anywhere are removed and blank lines skipped", data: "\n  widgets.example.io = v2 , v1 \n\n", want: { [RG]: ["v2", "v1"] } },
    { name: "a later line for the same resource wins", data: `${RG}=v1\n${RG}=v2`, want: { [RG]: ["v2"] } },
    { name: "empty entries are kept (and never match)", data: `${RG}=v1,,v2`, want: { [RG]: ["v1", "", "v2"] } },
    { name: "CRLF endings stay in the last version (as in Velero)", data: `${RG}=v1\r\n`, want: { [RG]: ["v1\r"] } },
    { name: "empty data", data: "", want: {} },
  ])("$name", ({ data, want }) => {
    expect(Object.fromEntries(parseUserVersionPriorities(data, captureLog()))).toEqual(want);
  });

  it.each([
    { line: "widgets.example.io", reason: "line must have one and only one equal sign" },
    { line: "widgets.example.io=v1=v2", reason: "line must have one and only one equal sign" },
    { line: "=v1", reason: "line must contain at least one character before and after equal sign" },
    { line: "widgets.example.io=", reason: "line must contain at least one character before and after equal sign" },
  ])("ignores the malformed line $line and logs why at debug", ({ line, reason }) => {
    const log = captureLog();
    expect(Object.fromEntries(parseUserVersionPriorities(`${line}\nthings.example.io=v1`, log))).toEqual({ "things.example.io": ["v1"] });
    expect(log.records).toEqual([{ level: "debug", msg: `Unable to validate user priority versions ${JSON.stringify(line)} due to ${reason}` }]);
  });
});

describe("loadUserVersionPriorities", () => {
  const withConfigMap = (data: Record<string, string>): RestoreFakeKube => {
    const kube = new RestoreFakeKube();
    kube.seed(GVR.configMaps, forConfigMap("velero", "enableapigroupversions", data));
    return kube;
  };

  it("reads the ConfigMap in Velero's namespace", async () => {
    const got = await loadUserVersionPriorities(withConfigMap({ restoreResourcesVersionPriority: `${RG}=v2beta1` }), "velero", captureLog());
    expect(got && Object.fromEntries(got)).toEqual({ [RG]: ["v2beta1"] });
    expect(await loadUserVersionPriorities(withConfigMap({ restoreResourcesVersionPriority: `${RG}=v2beta1` }), "other", captureLog())).toBeUndefined();
  });

  it.each([
    { name: "no ConfigMap", kube: () => new RestoreFakeKube(), msg: "No enableapigroupversion config map found in velero namespace. Using pre-defined priorities." },
    { name: "no restoreResourcesVersionPriority key", kube: () => withConfigMap({ other: `${RG}=v1` }), msg: "No valid user version priorities found in enableapigroupversion config map. Using pre-defined priorities." },
    { name: "only malformed lines", kube: () => withConfigMap({ restoreResourcesVersionPriority: "nonsense\n=v1" }), msg: "No valid user version priorities found in enableapigroupversion config map. Using pre-defined priorities." },
  ])("uses the default priorities when there is $name", async ({ kube, msg }) => {
    const log = captureLog();
    expect(await loadUserVersionPriorities(kube(), "velero", log)).toBeUndefined();
    expect(log.records.at(-1)).toEqual({ level: "debug", msg });
  });

  it("fails on any other error reading the ConfigMap", async () => {
    const kube = new RestoreFakeKube();
    kube.failNext("get", "configmaps", new KubeApiError({ statusCode: 403, reason: "Forbidden", message: "configmaps is forbidden" }));
    await expect(loadUserVersionPriorities(kube, "velero", captureLog())).rejects.toThrow(
      "retrieving enableapigroupversion config map: getting enableapigroupversions config map from velero namespace: configmaps is forbidden",
    );
  });
});

describe("KubernetesRestorer with EnableAPIGroupVersions", () => {
  const FLAG = new FeatureFlags([API_GROUP_VERSIONS_FEATURE]);
  const widget = (v: string): UnstructuredItem => forItem(`example.io/${v}`, "Widget", "a", "w", { spec: { copy: v } });
  /** A backup of a widget at v1 (preferred) and v2beta1, as written with the flag. */
  const ITEMS: TarItem[] = [{ item: widget("v1"), otherVersions: { v2beta1: widget("v2beta1") } }];
  const cluster = (versions: [string, boolean][]): RestoreFakeKube =>
    new RestoreFakeKube([...RESTORE_FAKE_RESOURCES, ...versions.map(([v, preferred]) => res("example.io", v, "widgets", "Widget", true, preferred))]);

  async function restore(kube: RestoreFakeKube, options: { features?: FeatureFlags; formatVersion?: string } = {}) {
    const log = captureLog();
    const restorer = new KubernetesRestorer({ kube, clock: new InstantClock(), ...(options.features ? { features: options.features } : {}), veleroNamespace: "velero" });
    const formatVersion = options.formatVersion ?? "1.1.0";
    const outcome = await restorer.restore({
      restore: forRestoreObject(),
      backup: forBackupObject("b1", { phase: "Completed", formatVersion }),
      backupContents: Readable.from([await buildBackupTarball(ITEMS, { formatVersion })]),
      log,
    });
    const stored = kube.peek<UnstructuredItem>(gvrOf("example.io", "v1", "widgets"), "w", "a");
    const created = kube.actions.filter((a) => a.verb === "create" && a.resource === "widgets");
    return { outcome, log, copy: (stored?.spec as { copy?: string } | undefined)?.copy, created };
  }

  it("restores the cluster's preferred version (priority 1) and logs the choice", async () => {
    const { outcome, copy, log } = await restore(cluster([["v1", true], ["v2beta1", false]]), { features: FLAG });
    expect(outcome.errors.all()).toEqual([]);
    expect(copy).toBe("v1");
    expect(log.records).toContainEqual({ level: "debug", msg: `APIGroupVersionsFeatureFlag Priority 1: Cluster preferred API group version v1 found in backup for ${RG}` });
    expect(Object.keys(outcome.resourceList)).toContain("example.io/v1/Widget");
  });

  it("restores the version the ConfigMap puts first", async () => {
    const kube = cluster([["v1", true], ["v2beta1", false]]);
    kube.seed(GVR.configMaps, forConfigMap("velero", "enableapigroupversions", { restoreResourcesVersionPriority: `${RG}=v2beta1,v1` }));
    const { outcome, copy } = await restore(kube, { features: FLAG });
    expect(outcome.errors.all()).toEqual([]);
    expect(copy).toBe("v2beta1");
    expect(Object.keys(outcome.resourceList)).toContain("example.io/v2beta1/Widget");
  });

  it("restores the common non-preferred version when neither preferred version is on the other side (priority 3)", async () => {
    const { outcome, copy } = await restore(cluster([["v2", true], ["v2beta1", false]]), { features: FLAG });
    expect(outcome.errors.all()).toEqual([]);
    expect(copy).toBe("v2beta1");
  });

  it("fails the restore before any item when the ConfigMap cannot be read", async () => {
    const kube = cluster([["v1", true], ["v2beta1", false]]);
    kube.failNext("get", "configmaps", new KubeApiError({ statusCode: 403, reason: "Forbidden", message: "configmaps is forbidden" }));
    const { outcome, created } = await restore(kube, { features: FLAG });
    expect(outcome.errors.all()).toEqual([
      "choosing API version to restore: retrieving enableapigroupversion config map: getting enableapigroupversions config map from velero namespace: configmaps is forbidden",
    ]);
    expect(created).toEqual([]);
  });

  it("ignores the ConfigMap without the flag", async () => {
    const kube = cluster([["v1", true], ["v2beta1", false]]);
    kube.seed(GVR.configMaps, forConfigMap("velero", "enableapigroupversions", { restoreResourcesVersionPriority: `${RG}=v2beta1` }));
    const { copy, log } = await restore(kube);
    expect(copy).toBe("v1");
    expect(log.records.some((r) => r.msg.includes("APIGroupVersionsFeatureFlag"))).toBe(false);
  });

  it("reads the unversioned copy of a backup older than format 1.1.0", async () => {
    const kube = cluster([["v2beta1", true]]);
    kube.seed(GVR.configMaps, forConfigMap("velero", "enableapigroupversions", { restoreResourcesVersionPriority: `${RG}=v2beta1` }));
    const { outcome, copy } = await restore(kube, { features: FLAG, formatVersion: "1.0.0" });
    // The unversioned copy is v1, which this cluster does not serve: the item fails as in Velero.
    expect(copy).toBeUndefined();
    expect(outcome.errors.all().join("\n")).toMatch(/the server could not find the requested resource/);
  });
});
