import type { ObjectStore } from "@velero-ts/plugin-sdk";
import { FilesystemObjectStore } from "../builtin-plugins/filesystem-object-store.js";

/** The getObjectStore of a plugin manager serving velero.io/filesystem in process: a new store, initialised with the config. */
export const filesystemObjectStores = {
  async getObjectStore(_provider: string, config: Record<string, string>): Promise<ObjectStore> {
    const store = new FilesystemObjectStore();
    await store.init(config);
    return store;
  },
};
