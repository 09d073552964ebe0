import { Command, CommanderError, Option } from 'commander';
import { registerAccountCommands } from './commands/account.command.js';
import { registerAuthCommands } from './commands/auth.command.js';
import { registerDaemonCommands } from './commands/daemon.command.js';
import { registerDoctorCommand } from './commands/doctor.command.js';
import { registerDidCommands } from './commands/did.command.js';
import { registerDownloadCommand } from './commands/download.command.js';
import { registerHookCommands } from './commands/hook.command.js';
import { registerRegisterCommand } from './commands/register.command.js';
import { registerReplicaCommands } from './commands/replica.command.js';
import { registerRseCommands } from './commands/rse.command.js';
import { registerRuleCommands } from './commands/rule.command.js';
import { registerScopeCommands } from './commands/scope.command.js';
import { registerSubscriptionCommands } from './commands/subscription.command.js';
import { registerUploadCommand } from './commands/upload.command.js';
import { CliError, ExitCode, oneLine } from './errors.js';
import type { CliIo } from './io.js';

export const CLI_VERSION = '0.1.0';

export function buildProgram(io: CliIo): Command {
  const program = new Command('tarn')
    .description('The Tarn command line: catalogue, storage (RSEs), uploads, downloads and replication rules, over the REST API.')
    .version(CLI_VERSION)
    .option('--config <file>', 'config file (default ~/.config/tarn/config.json; env TARN_CLI_CONFIG)')
    .option('--url <url>', 'Tarn API URL (env TARN_URL; default http://127.0.0.1:8080)')
    .option('-a, --account <account>', 'account to act as (env TARN_ACCOUNT)')
    .option('-u, --username <username>', 'userpass identity (env TARN_USERNAME; default: the account)')
    .addOption(new Option('--password <password>', 'password, to log in or renew the token (env TARN_PASSWORD)'))
    .option('--json', 'print data as JSON')
    .option('--no-progress', 'no progress bars (they are only drawn when stderr is a terminal)')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s), outputError: () => undefined });
  registerAuthCommands(program, io);
  registerRseCommands(program, io);
  registerScopeCommands(program, io);
  registerAccountCommands(program, io);
  registerDidCommands(program, io);
  registerUploadCommand(program, io);
  registerDownloadCommand(program, io);
  registerRegisterCommand(program, io);
  registerRuleCommands(program, io);
  registerReplicaCommands(program, io);
  registerHookCommands(program, io);
  registerSubscriptionCommands(program, io);
  registerDaemonCommands(program, io);
  registerDoctorCommand(program, io);
  for (const command of allCommands(program)) command.exitOverride().configureOutput(program.configureOutput());
  return program;
}

function allCommands(command: Command): Command[] {
  return command.commands.flatMap((c) => [c as Command, ...allCommands(c as Command)]);
}

/** The command the arguments name, as far as they do: ['tarn', 'rule', 'add']. */
function commandPath(program: Command, args: readonly string[]): string[] {
  const path = ['tarn'];
  let command = program;
  for (const arg of args) {
    const next = command.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (!next) {
      if (arg.startsWith('-')) continue;
      break;
    }
    path.push(next.name());
    command = next;
  }
  return path;
}

/** Runs `tarn` with the arguments after the program name; answers the exit code (never throws). */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...args], { from: 'user' });
    return ExitCode.OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return ExitCode.OK;
      if (error.code === 'commander.executeSubCommandAsync') return ExitCode.OK;
      io.stderr.write(`tarn: ${oneLine(error.message.replace(/^error: /, ''))} (see ${commandPath(program, args).join(' ')} --help)\n`);
      return ExitCode.USAGE;
    }
    if (error instanceof CliError) {
      io.stderr.write(`tarn: ${oneLine(error.message)}\n`);
      return error.exitCode;
    }
    io.stderr.write(`tarn: ${oneLine(error instanceof Error ? error.message : String(error))}\n`);
    if (io.env.TARN_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    return ExitCode.FAILURE;
  }
}
