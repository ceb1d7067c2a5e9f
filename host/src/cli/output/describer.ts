/**
 * Velero's Describer: Printf-style lines written through a tabwriter (minwidth 0, padding 2), with
 * an optional prefix (the schedule describer indents its backup template with one tab).
 */
import type { ObjectMeta } from "@velero-ts/plugin-sdk";
import { NO_COLORS, type Colors } from "./colors.js";
import { DESCRIBE_TABWRITER, tabwrite } from "./tabwriter.js";

export const EMPTY_DISPLAY = "<none>";

export class Describer {
  prefix = "";
  #buf = "";
  readonly colors: Colors;

  constructor(colors: Colors = NO_COLORS) {
    this.colors = colors;
  }

  /** Appends text (which may contain tabs and newlines) after the current prefix. */
  printf(text: string): void {
    this.#buf += this.prefix + text;
  }

  println(text = ""): void {
    this.#buf += this.prefix + text + "\n";
  }

  describeMetadata(metadata: ObjectMeta): void {
    this.printf(`Name:\t${this.colors.bold(metadata.name ?? "")}\n`);
    this.printf(`Namespace:\t${metadata.namespace ?? ""}\n`);
    this.describeMap("Labels", metadata.labels);
    this.describeMap("Annotations", metadata.annotations);
  }

  describeMap(name: string, map: Record<string, string> | undefined): void {
    this.printf(`${name}:\t`);
    const keys = Object.keys(map ?? {}).sort();
    if (keys.length === 0) {
      this.printf(`${EMPTY_DISPLAY}\n`);
      return;
    }
    keys.forEach((key, i) => this.printf(`${i === 0 ? "" : "\t"}${key}=${(map as Record<string, string>)[key]}\n`));
  }

  describeSlice(preindent: number, name: string, values: string[] | undefined): void {
    const pretab = "\t".repeat(preindent);
    this.printf(`${pretab}${name}:\t`);
    if (!values || values.length === 0) {
      this.printf(`${pretab}${EMPTY_DISPLAY}\n`);
      return;
    }
    values.forEach((v, i) => this.printf(`${i === 0 ? "" : pretab + "\t"}${v}\n`));
  }

  render(): string {
    return tabwrite(this.#buf, DESCRIBE_TABWRITER);
  }
}

/** Velero's BoolPointerString. */
export function boolPointerString(value: boolean | undefined, falseString: string, trueString: string, nilString: string): string {
  if (value === undefined || value === null) return nilString;
  return value ? trueString : falseString;
}

export function joinOr(values: string[] | undefined, empty: string): string {
  return values && values.length > 0 ? values.join(", ") : empty;
}
