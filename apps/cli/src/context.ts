import type { Command } from 'commander';
import { ApiClient } from './api-client.js';
import { type CliConfig, type GlobalFlags, loadCliConfig } from './config.js';
import { CliError, ExitCode } from './errors.js';
import type { CliIo } from './io.js';
import { ProgressBar } from './progress.js';
import { type Column, formatRecord, formatTable } from './table.js';

export interface OutputFlags extends GlobalFlags {
  json?: boolean;
  progress?: boolean;
}

/** What a command needs: its flags (with the global ones), the config, the API client, and where to print. */
export class CommandContext {
  private configValue: CliConfig | undefined;
  private clientValue: ApiClient | undefined;
  readonly flags: OutputFlags;

  constructor(
    readonly io: CliIo,
    command: Command,
  ) {
    this.flags = command.optsWithGlobals() as OutputFlags;
  }

  get config(): CliConfig {
    return (this.configValue ??= loadCliConfig(this.flags, this.io));
  }

  get client(): ApiClient {
    return (this.clientValue ??= new ApiClient(this.config));
  }

  get json(): boolean {
    return this.flags.json === true;
  }

  get showProgress(): boolean {
    return this.io.stderrIsTty && this.flags.progress !== false && !this.json;
  }

  progress(label: string, total: number | null, unit: 'bytes' | 'items' = 'bytes', totalItems: number | null = null): ProgressBar {
    return new ProgressBar(this.io.stderr, this.showProgress, label, total, unit, totalItems);
  }

  out(text: string): void {
    this.io.stdout.write(text.endsWith('\n') || text === '' ? text : `${text}\n`);
  }

  /** Notes for people (stderr, so that stdout stays data). */
  note(text: string): void {
    if (!this.json) this.io.stderr.write(`${text}\n`);
  }

  printJson(value: unknown): void {
    this.out(JSON.stringify(value, null, 2));
  }

  /** A list as a table, or as a JSON array with --json. */
  printList<T>(rows: readonly T[], columns: readonly Column<T>[], json: (row: T) => unknown = (r) => r): void {
    if (this.json) this.printJson(rows.map(json));
    else if (rows.length === 0) this.note('(none)');
    else this.out(formatTable(rows, columns));
  }

  printRecord(record: Record<string, unknown>, json: unknown = record): void {
    if (this.json) this.printJson(json);
    else this.out(formatRecord(record));
  }

  checkAborted(what: string): void {
    if (this.io.signal?.aborted) throw new CliError(`Interrupted while ${what}: run the same command again to resume.`, ExitCode.INTERRUPTED);
  }
}

export type Action = (ctx: CommandContext, ...args: any[]) => Promise<void>;

/** Binds an action to a context built from the command's flags (commander passes positional args, options, command). */
export function act(io: CliIo, action: Action): (...args: any[]) => Promise<void> {
  return async (...args: any[]) => {
    const command = args[args.length - 1] as Command;
    await action(new CommandContext(io, command), ...args.slice(0, -1));
  };
}
