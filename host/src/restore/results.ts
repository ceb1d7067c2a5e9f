/**
 * Velero's results.Result: messages grouped as Velero-level, cluster-scoped, or per namespace.
 * Serialised as `{"velero": [...], "cluster": [...], "namespaces": {ns: [...]}}` (all omitempty).
 */
import type { Result } from "../persistence/backup-store.js";

export class RestoreResultSet {
  readonly velero: string[] = [];
  readonly cluster: string[] = [];
  readonly namespaces = new Map<string, string[]>();

  /** A set holding the messages of a stored Result. */
  static fromJSON(result: Result | undefined): RestoreResultSet {
    const set = new RestoreResultSet();
    for (const m of result?.velero ?? []) set.addVelero(m);
    for (const m of result?.cluster ?? []) set.add("", m);
    for (const [ns, messages] of Object.entries(result?.namespaces ?? {})) for (const m of messages) set.add(ns, m);
    return set;
  }

  /** Adds a message for a namespace; an empty namespace means a cluster-scoped item. */
  add(namespace: string, message: string): void {
    if (namespace === "") {
      this.cluster.push(message);
      return;
    }
    const list = this.namespaces.get(namespace);
    if (list) list.push(message);
    else this.namespaces.set(namespace, [message]);
  }

  addVelero(message: string): void {
    this.velero.push(message);
  }

  merge(other: RestoreResultSet): void {
    this.velero.push(...other.velero);
    this.cluster.push(...other.cluster);
    for (const [ns, messages] of other.namespaces) for (const m of messages) this.add(ns, m);
  }

  count(): number {
    let n = this.velero.length + this.cluster.length;
    for (const messages of this.namespaces.values()) n += messages.length;
    return n;
  }

  isEmpty(): boolean {
    return this.count() === 0;
  }

  /** Every message, prefixed by its scope, in a stable order (logs, tests). */
  all(): string[] {
    const out = [...this.velero, ...this.cluster];
    for (const [ns, messages] of [...this.namespaces].sort(([a], [b]) => a.localeCompare(b))) {
      for (const m of messages) out.push(`${ns}: ${m}`);
    }
    return out;
  }

  toJSON(): Result {
    const out: Result = {};
    if (this.velero.length > 0) out.velero = [...this.velero];
    if (this.cluster.length > 0) out.cluster = [...this.cluster];
    if (this.namespaces.size > 0) out.namespaces = Object.fromEntries(this.namespaces);
    return out;
  }
}
