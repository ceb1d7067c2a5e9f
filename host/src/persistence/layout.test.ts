import { describe, expect, it } from "vitest";
import { ObjectStoreLayout } from "./layout.js";

describe("ObjectStoreLayout", () => {
  it("builds Velero's keys under a prefix", () => {
    const l = new ObjectStoreLayout("/team/a/");
    expect(l.rootPrefix).toBe("team/a/");
    expect(l.subdir("backups")).toBe("team/a/backups/");
    expect(l.backupDir("b1")).toBe("team/a/backups/b1/");
    expect(l.backupContents("b1")).toBe("team/a/backups/b1/b1.tar.gz");
    expect(l.restoreLog("r1")).toBe("team/a/restores/r1/restore-r1-logs.gz");
    expect(l.restoreVolumeInfo("r1")).toBe("team/a/restores/r1/r1-volumeinfo.json.gz");
    expect(new ObjectStoreLayout("").backupMetadata("b1")).toBe("backups/b1/velero-backup.json");
  });

  it("cleans the subdirectories and keys as Go's path.Join does, and keeps the root prefix as given", () => {
    // the keys real Velero v1.18.1 uses for these prefixes (path.Join cleans them)
    const doubled = new ObjectStoreLayout("a//b");
    expect(doubled.rootPrefix).toBe("a//b/");
    expect(doubled.subdir("backups")).toBe("a/b/backups/");
    expect(doubled.backupMetadata("b1")).toBe("a/b/backups/b1/velero-backup.json");
    const dotted = new ObjectStoreLayout("./x/./y");
    expect(dotted.rootPrefix).toBe("./x/./y/");
    expect(dotted.backupDir("b1")).toBe("x/y/backups/b1/");
    expect(dotted.restoreResults("r1")).toBe("x/y/restores/r1/restore-r1-results.gz");
  });
});
