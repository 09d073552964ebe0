import { InvalidInput } from './errors.js';

/**
 * Names built from a file's path by a template (`tel.run{run}.{basename}`): ingest hooks and `tarn register` make
 * DID names, dataset names and metadata with it. Fields are the parts of the path, its dates, and the named groups
 * of a pattern matched against the path.
 */

/** What a template may refer to from the path alone. */
export const PATH_FIELDS = ['path', 'dir', 'basename', 'stem', 'ext'] as const;

/** What a hook's templates may refer to, besides the named groups of its pattern. */
export const BUILTIN_FIELDS = [...PATH_FIELDS, 'date', 'yyyy', 'mm', 'dd', 'rundate', 'hook'] as const;

const TOKEN = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The fields a template refers to, in order of appearance. */
export function templateFields(template: string): string[] {
  return [...template.matchAll(TOKEN)].map((m) => m[1]);
}

/** Checks that a template only refers to known fields; `what` names it in the error. */
export function checkTemplate(template: string, known: readonly string[], what: string): void {
  if (typeof template !== 'string' || template.trim() === '') {
    throw new InvalidInput(`The ${what} template is empty: give e.g. '{basename}'.`, { rucioClass: 'InputValidationError' });
  }
  const unknown = templateFields(template).filter((f) => !known.includes(f));
  if (unknown.length > 0) {
    throw new InvalidInput(
      `The ${what} template '${template}' refers to {${unknown[0]}}, which is neither a built-in field (${known.filter((f) => (BUILTIN_FIELDS as readonly string[]).includes(f)).join(', ')}) ` +
        'nor a named group of the pattern. Fix the template or add (?<name>...) to the pattern.',
      { rucioClass: 'InputValidationError', details: { template, field: unknown[0] } },
    );
  }
  const stray = template.replace(TOKEN, '');
  if (/[{}]/.test(stray)) {
    throw new InvalidInput(`The ${what} template '${template}' has an unmatched '{' or '}': write fields as {name}.`, {
      rucioClass: 'InputValidationError',
      details: { template },
    });
  }
}

/** Renders a template; a field without a value is an error naming the file. */
export function renderTemplate(template: string, fields: Record<string, string>, path: string): string {
  return template.replace(TOKEN, (_, field: string) => {
    const value = fields[field];
    if (value === undefined) {
      throw new InvalidInput(`File '${path}': the template '${template}' needs {${field}}, which the pattern did not capture for this file.`, {
        rucioClass: 'InputValidationError',
        details: { path, field },
      });
    }
    return value;
  });
}

const pad = (n: number) => String(n).padStart(2, '0');
const isoDate = (d: Date) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;

/** The fields of a path: the path, its directory, base name, and the base name's stem and extension. */
export function pathFields(path: string): Record<(typeof PATH_FIELDS)[number], string> {
  const slash = path.lastIndexOf('/');
  const basename = path.slice(slash + 1);
  const dot = basename.lastIndexOf('.');
  return {
    path,
    dir: slash >= 0 ? path.slice(0, slash) : '',
    basename,
    stem: dot > 0 ? basename.slice(0, dot) : basename,
    ext: dot > 0 ? basename.slice(dot + 1) : '',
  };
}

/** The built-in fields of a file of a hook (dates in UTC: `date` is the file's modification day, `rundate` the run's). */
export function builtinFields(path: string, mtime: Date, runDate: Date, hook: string): Record<string, string> {
  return {
    ...pathFields(path),
    date: isoDate(mtime),
    yyyy: String(mtime.getUTCFullYear()),
    mm: pad(mtime.getUTCMonth() + 1),
    dd: pad(mtime.getUTCDate()),
    rundate: isoDate(runDate),
    hook,
  };
}

/** Named groups of the pattern matched against the path; null when it does not match. */
export function extractFields(pattern: RegExp | null, path: string): Record<string, string> | null {
  if (!pattern) return {};
  const match = pattern.exec(path);
  if (!match) return null;
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(match.groups ?? {})) if (value !== undefined) fields[key] = value;
  return fields;
}

/** Metadata values from extracted text: whole numbers become numbers (run_number=4711), the rest stays text. */
export function metaValue(text: string): string | number {
  return /^-?(0|[1-9]\d{0,14})$/.test(text) ? Number(text) : text;
}

/** A pattern over paths; `what` names it in the error ("Hook 'x': the pattern"). */
export function compilePathPattern(pattern: string | null, what: string): RegExp | null {
  if (pattern === null) return null;
  try {
    return new RegExp(pattern);
  } catch (error) {
    throw new InvalidInput(`${what} ${JSON.stringify(pattern)} is not a valid regular expression (${(error as Error).message}).`, {
      rucioClass: 'InputValidationError',
      details: { pattern },
    });
  }
}

/** The names of a pattern's named groups, which templates may use as fields. */
export function patternGroups(pattern: RegExp | null): string[] {
  if (!pattern) return [];
  return [...pattern.source.matchAll(/\(\?<([A-Za-z_][A-Za-z0-9_]*)>/g)].map((m) => m[1]);
}
