import type { Command } from 'commander';
import { checkTemplate, compilePathPattern, extractFields, InvalidInput, PATH_FIELDS, pathFields, patternGroups, renderTemplate } from '@tarn/domain';
import { CliError, ExitCode } from '../errors.js';

/** --did-name and --pattern: DID names built from a file's path (upload, register), as ingest hooks build them. */
export function namingOptions(command: Command): Command {
  return command
    .option('--did-name <template>', "DID name from the file's path: {path}, {dir}, {basename}, {stem}, {ext} and --pattern's groups (default '{basename}')")
    .option('--pattern <regex>', 'regex with named groups over the path, e.g. "^(?<night>[^/]+)/", for --did-name');
}

/** Names files from their paths (relative to what was given); the template and pattern are checked when it is made. */
export class DidNamer {
  /** Whether --did-name or --pattern was given. */
  readonly given: boolean;
  private readonly template: string;
  private readonly pattern: RegExp | null;

  constructor(template: string | undefined, pattern: string | undefined) {
    this.given = template !== undefined || pattern !== undefined;
    this.template = template ?? '{basename}';
    this.pattern = usage(() => compilePathPattern(pattern ?? null, '--pattern'));
    usage(() => checkTemplate(this.template, [...PATH_FIELDS, ...patternGroups(this.pattern)], '--did-name'));
  }

  name(path: string): string {
    const groups = extractFields(this.pattern, path);
    if (groups === null) throw new CliError(`'${path}' does not match --pattern ${this.pattern!.source}: give a pattern every file matches, or leave these files out.`, ExitCode.USAGE);
    return usage(() => renderTemplate(this.template, { ...pathFields(path), ...groups }, path));
  }
}

function usage<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof InvalidInput) throw new CliError(error.message, ExitCode.USAGE);
    throw error;
  }
}
