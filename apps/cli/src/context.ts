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

/** scope:name (scope required unless a default is given). */
export function parseDidArg(text: string, defaultScope?: string): { scope: string; name: string } {
  const colon = text.indexOf(':');
  if (colon > 0) return { scope: text.slice(0, colon), name: text.slice(colon + 1) };
  if (defaultScope && colon < 0) return { scope: defaultScope, name: text };
  throw new CliError(`'${text}' is not a DID: write scope:name, e.g. user.jdoe:run4711.`, ExitCode.USAGE);
}

/** key=value pairs (values that look like numbers or booleans become them) -> an object. */
export function parseKeyValues(pairs: readonly string[] | undefined, what: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliError(`${what} '${pair}' is not key=value, e.g. run_number=4711.`, ExitCode.USAGE);
    out[pair.slice(0, eq)] = scalar(pair.slice(eq + 1));
  }
  return out;
}

export function scalar(text: string): unknown {
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text === 'true' || text === 'True') return true;
  if (text === 'false' || text === 'False') return false;
  return text;
}

/** Repeatable option collector for commander. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** A duration: seconds, or a number with s, m, h, d, w. */
export function parseDuration(text: string, what: string): number {
  const match = /^(\d+)\s*([smhdw]?)$/.exec(text.trim());
  if (!match) throw new CliError(`${what} '${text}' is not a duration: give seconds or e.g. 30d, 12h, 90m.`, ExitCode.USAGE);
  const factor = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[match[2] as '' | 's' | 'm' | 'h' | 'd' | 'w'];
  return Number(match[1]) * factor;
}

export function parsePositiveInt(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${what} must be a whole number >= 1, not '${text}'.`, ExitCode.USAGE);
  return n;
}
