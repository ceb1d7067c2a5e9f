/**
 * velero completion bash|zsh|fish: completion scripts generated from the command tree (commands,
 * aliases and flags of every level), in the spirit of cobra's generated scripts.
 */
import { Command } from "commander";
import { UsageError } from "../shared/errors.js";
import { actionFor, type Verb } from "./command-kit.js";
import type { Factory } from "./factory.js";

interface Node {
  path: string[];
  subcommands: string[];
  flags: string[];
}

function walk(cmd: Command, path: string[], out: Node[]): void {
  const visible = cmd.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
  const flags = cmd.options.filter((o) => !o.hidden).flatMap((o) => [o.long, o.short].filter((x): x is string => !!x));
  out.push({ path, subcommands: visible.flatMap((c) => [c.name(), ...c.aliases()]), flags: [...flags, "--help"] });
  for (const c of visible) {
    for (const name of [c.name(), ...c.aliases()]) walk(c, [...path, name], out);
  }
}

function tree(root: Command): Node[] {
  const nodes: Node[] = [];
  walk(root, [], nodes);
  const globals = root.options.filter((o) => !o.hidden).flatMap((o) => [o.long, o.short].filter((x): x is string => !!x));
  for (const n of nodes) if (n.path.length > 0) n.flags = [...new Set([...n.flags, ...globals])];
  return nodes;
}

const key = (path: string[]): string => path.join("__").replace(/[^A-Za-z0-9_]/g, "_");

export function bashCompletion(root: Command): string {
  const nodes = tree(root);
  const keys = nodes.map((n) => key(n.path)).join(" ");
  const cases = nodes
    .map((n) => `    "${key(n.path)}") words_list="${[...n.subcommands, ...n.flags].join(" ")}" ;;`)
    .join("\n");
  return `# bash completion for velero                              -*- shell-script -*-
# Load with:  source <(velero completion bash)

__velero_complete() {
    local cur path="" next i w
    local keys=" ${keys} "
    cur="\${COMP_WORDS[COMP_CWORD]}"
    for ((i = 1; i < COMP_CWORD; i++)); do
        w="\${COMP_WORDS[i]}"
        case "$w" in
            -*) continue ;;
        esac
        if [[ -n "$path" ]]; then next="\${path}__$w"; else next="$w"; fi
        next="\${next//[^A-Za-z0-9_]/_}"
        # only subcommands extend the path; arguments and flag values do not
        [[ "$keys" == *" $next "* ]] && path="$next"
    done
    local words_list=""
    case "$path" in
${cases}
    esac
    COMPREPLY=( $(compgen -W "$words_list" -- "$cur") )
    return 0
}

complete -o default -F __velero_complete velero
`;
}

export function zshCompletion(root: Command): string {
  return `#compdef velero
compdef _velero velero

# zsh completion for velero, built on the bash completion function.
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(root).replace("complete -o default -F __velero_complete velero", "complete -o default -F __velero_complete velero\n_velero() { __velero_complete; }")}`;
}

export function fishCompletion(root: Command): string {
  const lines = ["# fish completion for velero", "complete -c velero -f"];
  for (const n of tree(root)) {
    const cond = n.path.length === 0 ? "__fish_use_subcommand" : `__fish_seen_subcommand_from ${n.path[n.path.length - 1]}`;
    for (const sub of n.subcommands) lines.push(`complete -c velero -n '${cond}' -a '${sub}'`);
    for (const flag of n.flags.filter((x) => x.startsWith("--"))) lines.push(`complete -c velero -n '${cond}' -l '${flag.slice(2)}'`);
  }
  return lines.join("\n") + "\n";
}

class Completion implements Verb {
  readonly #f: Factory;
  shell = "";
  root: Command | undefined;
  constructor(f: Factory) {
    this.#f = f;
  }
  complete(args: string[], _flags: unknown, cmd: Command): void {
    this.shell = args[0] ?? "";
    let root: Command = cmd;
    while (root.parent) root = root.parent;
    this.root = root;
  }
  validate(): void {
    if (!["bash", "zsh", "fish"].includes(this.shell)) throw new UsageError(`Invalid shell specified "${this.shell}", specify bash, zsh, or fish`);
  }
  async run(): Promise<void> {
    const root = this.root as Command;
    const gen = { bash: bashCompletion, zsh: zshCompletion, fish: fishCompletion }[this.shell as "bash" | "zsh" | "fish"];
    this.#f.out(gen(root));
  }
}

export function newCompletionCommand(f: Factory): Command {
  return new Command("completion")
    .summary("Generate completion script")
    .description(
      `Generate completion script

To load completions:

Bash:

$ source <(velero completion bash)

# To load completions for each session, execute once:
Linux:
  $ velero completion bash > /etc/bash_completion.d/velero

Zsh:

$ velero completion zsh > "\${fpath[1]}/_velero"

Fish:

$ velero completion fish | source`,
    )
    .argument("<bash|zsh|fish>", "shell")
    .action(actionFor(f, () => new Completion(f)));
}
