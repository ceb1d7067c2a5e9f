/**
 * An item block (Velero pkg/itemblock): items that are backed up together, so that the pre hooks
 * of every pod in the block run before any of its items is backed up and the post hooks after all
 * of them. Built from one collected item plus, transitively, the related items its
 * ItemBlockActions name.
 */
import type { UnstructuredItem } from "@velero-ts/plugin-sdk";
import type { ApiResource } from "../kube/client.js";
import type { Logger } from "../shared/logging.js";

export interface ItemBlockItem {
  /** Canonical "resource.group". */
  gr: string;
  resource: ApiResource;
  object: UnstructuredItem;
  /** The item's logger (resource, namespace, name), once made. */
  log?: Logger;
}

/** "resource.group|namespace|name": one key per item whatever its version. */
export function itemBlockKey(gr: string, namespace: string | undefined, name: string): string {
  return `${gr}|${namespace ?? ""}|${name}`;
}

export class ItemBlock {
  readonly items: ItemBlockItem[] = [];

  add(item: ItemBlockItem): void {
    this.items.push(item);
  }

  /** The block's copy of an item, so that an action's additional item costs no GET when it is in the block. */
  find(gr: string, namespace: string | undefined, name: string): ItemBlockItem | undefined {
    const ns = namespace ?? "";
    return this.items.find((i) => i.gr === gr && i.object.metadata.name === name && (i.object.metadata.namespace ?? "") === ns);
  }
}
