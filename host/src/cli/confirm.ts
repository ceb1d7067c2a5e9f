/** Velero's confirm.GetConfirmation: asks until the user answers y or n; end of input means no. */
import type { Factory } from "./factory.js";

export async function getConfirmation(f: Factory, ...prompts: string[]): Promise<boolean> {
  for (;;) {
    for (const p of prompts) f.out(`${p}\n`);
    f.out("Are you sure you want to continue (Y/N)? ");
    const line = await f.deps.readLine();
    if (line === undefined) {
      f.out("\n");
      f.err("no confirmation received (stdin closed); pass --confirm to skip the prompt\n");
      return false;
    }
    const answer = line.trim().toLowerCase();
    if (answer === "y") return true;
    if (answer === "n") return false;
  }
}
