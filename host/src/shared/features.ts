/**
 * Velero's server feature flags (`velero server --features=A,B`). Names match exactly and
 * case-sensitively, as in Velero's pkg/features.
 */

/** Back up every served version of each API group; restore picks the version by priority. */
export const API_GROUP_VERSIONS_FEATURE = "EnableAPIGroupVersions";

export class FeatureFlags {
  readonly #enabled: ReadonlySet<string>;

  constructor(names: readonly string[] = []) {
    this.#enabled = new Set(names.filter((n) => n !== ""));
  }

  isEnabled(name: string): boolean {
    return this.#enabled.has(name);
  }

  /** Enabled flags, sorted (Velero's features.All()). */
  all(): string[] {
    return [...this.#enabled].sort();
  }
}
