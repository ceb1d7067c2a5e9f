/**
 * The colours of Velero's describe output (fatih/color escape sequences, byte for byte): the
 * object's name in bold, phases green (Completed, Enabled) or red (failures), validation errors red.
 */
export interface Colors {
  bold(text: string): string;
  red(text: string): string;
  green(text: string): string;
}

export const NO_COLORS: Colors = { bold: (t) => t, red: (t) => t, green: (t) => t };

export const ANSI_COLORS: Colors = {
  bold: (t) => `\x1b[1m${t}\x1b[22m`,
  red: (t) => `\x1b[31m${t}\x1b[0m`,
  green: (t) => `\x1b[32m${t}\x1b[0m`,
};
