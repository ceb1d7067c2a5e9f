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

  /**
   * The block's copies of an item (one per version collected: several with EnableAPIGroupVersions),
   * so that an action's additional item costs no GET when it is in the block.
   */
  findAll(gr: string, namespace: string | undefined, name: string): ItemBlockItem[] {
    const ns = namespace ?? "";
    return this.items.filter((i) => i.gr === gr && i.object.metadata.name === name && (i.object.metadata.namespace ?? "") === ns);
  }
}
