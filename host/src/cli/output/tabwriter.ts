/**
 * A port of the layout rules of Go's text/tabwriter (elastic tabstops), which Velero uses for
 * both `get` tables (via the Kubernetes table printer) and `describe`. Text is split into cells at
 * tabs; a column block is a run of consecutive lines that all have a cell in that column, and each
 * block is padded to its widest cell. The last cell of a line is never part of a column.
 */
export interface TabWriterOptions {
  minWidth: number;
  padding: number;
}

type Line = string[];

function width(cell: string): number {
  return [...cell].length;
}

class Formatter {
  readonly #lines: Line[];
  readonly #opts: TabWriterOptions;
  readonly #widths: number[] = [];
  #out = "";

  constructor(lines: Line[], opts: TabWriterOptions) {
    this.#lines = lines;
    this.#opts = opts;
  }

  run(): string {
    this.#format(0, this.#lines.length);
    return this.#out;
  }

  #writeLines(line0: number, line1: number): void {
    for (let i = line0; i < line1; i++) {
      const line = this.#lines[i] as Line;
      line.forEach((cell, j) => {
        this.#out += cell;
        if (j < this.#widths.length && j < line.length - 1) {
          this.#out += " ".repeat(Math.max(0, (this.#widths[j] as number) - width(cell)));
        }
      });
      if (i < this.#lines.length - 1) this.#out += "\n";
    }
  }

  #format(line0: number, line1: number): void {
    const column = this.#widths.length;
    for (let current = line0; current < line1; current++) {
      if (column >= (this.#lines[current] as Line).length - 1) continue;
      this.#writeLines(line0, current);
      line0 = current;
      let w = this.#opts.minWidth;
      for (; current < line1; current++) {
        const line = this.#lines[current] as Line;
        if (column >= line.length - 1) break;
        w = Math.max(w, width(line[column] as string) + this.#opts.padding);
      }
      this.#widths.push(w);
      this.#format(line0, current);
      this.#widths.pop();
      line0 = current;
      current--;
    }
    this.#writeLines(line0, line1);
  }
}

/** Lays out tab-separated text. A trailing newline in the input is kept. */
export function tabwrite(text: string, opts: TabWriterOptions): string {
  const lines = text.split("\n").map((l) => l.split("\t"));
  return new Formatter(lines, opts).run();
}

/** The Kubernetes table printer's settings (k8s.io/cli-runtime printers.GetNewTabWriter). */
export const TABLE_TABWRITER: TabWriterOptions = { minWidth: 6, padding: 3 };
/** Velero's describer settings (pkg/cmd/util/output/describe.go). */
export const DESCRIBE_TABWRITER: TabWriterOptions = { minWidth: 0, padding: 2 };
