/**
 * Builds the velero command tree: noun-verb (`velero backup create`) and verb-noun
 * (`velero create backup`) grammars over the same verb factories, plus install, server, etc.
 */
import { Command, type CommanderError } from "commander";
import { normalizeArgv } from "./argv.js";
import { commandPath } from "./command-kit.js";
import type { CliDeps } from "./deps.js";
import { Factory, type GlobalOptions } from "./factory.js";
import { CommandLineError, handleError } from "./handle-error.js";
import { newBackupCommand } from "./backup/index.js";
import { newBackupLocationCommand } from "./backup-location/index.js";
import { newClientCommand } from "./client/config.js";
import { newCompletionCommand } from "./completion.js";
import { newDebugCommand } from "./debug.js";
import { newInstallCommand } from "./install/install.js";
import { newUninstallCommand } from "./install/uninstall.js";
import { newPluginCommand } from "./plugin/index.js";
import { newRepoCommand, newResticCommand } from "./repo/get.js";
import { newRestoreCommand } from "./restore/index.js";
import { newScheduleCommand } from "./schedule/index.js";
import { newServerCommand } from "./server.js";
import { newNodeAgentCommand } from "./node-agent.js";
import { newSnapshotLocationCommand } from "./snapshot-location/index.js";
import { newCreateGroup, newDeleteGroup, newDescribeGroup, newGetGroup } from "./verb-groups.js";
import { newVersionCommand } from "./version.js";
import { addKlogFlags } from "./flags/klog.js";

/** velero run-plugins (hidden): serves the built-in plugins as a plugin process. */
function newRunPluginsCommand(f: Factory): Command {
  return new Command("run-plugins")
    .description("INTERNAL COMMAND ONLY - not intended to be run directly by users")
    .allowUnknownOption()
    .allowExcessArguments()
    .helpOption(false)
    .action(async (_opts: unknown, cmd: Command) => {
      await f.deps.runPlugins(cmd.args);
    });
}

function installErrorHandling(cmd: Command, deps: CliDeps): void {
  cmd.exitOverride((err: CommanderError) => {
    throw new CommandLineError(err, commandPath(cmd));
  });
  cmd.configureOutput({
    writeOut: (s) => deps.stdout.write(s),
    // Commander writes through writeErr only help({ error: true }): a group command (`velero
    // backup`) run without a subcommand. Cobra prints that help on stdout (exit 0), so it goes there.
    writeErr: (s) => deps.stdout.write(s),
    outputError: () => undefined,
  });
  cmd.showSuggestionAfterError(true);
  // a subcommand's help lists the root's options too (-n, --kubeconfig...), as cobra's "Global Flags"
  cmd.configureHelp({ ...cmd.configureHelp(), showGlobalOptions: true });
  cmd.commands.forEach((c) => installErrorHandling(c, deps));
}

export function createProgram(f: Factory): Command {
  const program = new Command("velero")
    .description(
      "Velero is a tool for managing disaster recovery, specifically for Kubernetes cluster resources. It provides a simple, configurable, and operationally robust way to back up your application state and associated data.\n\n" +
        "If you're familiar with kubectl, Velero supports a similar model, allowing you to execute commands such as 'velero get backup' and 'velero create schedule'. The same operations can also be performed as 'velero backup get' and 'velero schedule create'.",
    )
    .summary("Back up and restore Kubernetes cluster resources.")
    .option("--kubeconfig <path>", "Path to the kubeconfig file to use to talk to the Kubernetes apiserver. If unset, try the environment variable KUBECONFIG, as well as in-cluster configuration")
    .option("--kubecontext <context>", "The context to use to talk to the Kubernetes apiserver. If unset defaults to whatever your current-context is (kubectl config current-context)")
    .option("-n, --namespace <namespace>", "The namespace in which Velero should operate (default \"velero\", or the client config / $VELERO_NAMESPACE)")
    .option("--features <features>", "Comma-separated list of features to enable for this Velero process. Combines with values from $HOME/.config/velero/config.json if present")
    .option("--colorized <bool>", "Show colored output in TTY. Overrides 'colorized' value from $HOME/.config/velero/config.json if present. Enabled by default (on a terminal)")
    .option("--debug", "Print stack traces of errors")
    .hook("preAction", (_root, actionCommand) => {
      f.setGlobals(actionCommand.optsWithGlobals<GlobalOptions>());
    });
  addKlogFlags(program);
  for (const cmd of [
    newBackupCommand(f),
    newScheduleCommand(f),
    newRestoreCommand(f),
    newServerCommand(f, f.deps.startServer),
    newVersionCommand(f),
    newGetGroup(f),
    newInstallCommand(f),
    newUninstallCommand(f),
    newDescribeGroup(f),
    newCreateGroup(f),
    newRunPluginsCommand(f),
    newPluginCommand(f),
    newDeleteGroup(f),
    newClientCommand(f),
    newCompletionCommand(f),
    newRepoCommand(f),
    newResticCommand(f),
    newBackupLocationCommand(f),
    newSnapshotLocationCommand(f),
    newDebugCommand(f, runCli),
    newNodeAgentCommand(f, f.deps.runNodeAgent),
  ]) {
    program.addCommand(cmd, { hidden: cmd.name() === "run-plugins" });
  }
  installErrorHandling(program, f.deps);
  return program;
}

/** Runs the CLI and returns the exit code; never throws. */
export async function runCli(argv: string[], deps: CliDeps): Promise<number> {
  const f = new Factory(deps);
  const program = createProgram(f);
  try {
    // A plugin host launches `velero run-plugins <its own flags>`: hand them over untouched.
    if (argv[0] === "run-plugins") {
      await deps.runPlugins(argv.slice(1));
      return 0;
    }
    await program.parseAsync(normalizeArgv(program, argv), { from: "user" });
    return f.exitCode;
  } catch (err) {
    return handleError(err, deps.stderr, { debug: f.globals.debug ?? argv.includes("--debug") });
  } finally {
    await f.close();
  }
}
