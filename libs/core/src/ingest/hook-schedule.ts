import { createTask, validateDetailed } from 'node-cron';
import { InvalidInput } from '@tarn/domain';

function invalid(message: string, details: Record<string, unknown>): InvalidInput {
  return new InvalidInput(message, { rucioClass: 'InputValidationError', details });
}

/** Checks a cron expression (5 fields, or 6 with seconds first) and time zone, with a message saying what is wrong. */
export function validateSchedule(schedule: unknown, timezone: string | null, hook: string): string {
  if (typeof schedule !== 'string' || schedule.trim() === '') {
    throw invalid(`Hook '${hook}' needs a schedule: a cron expression such as '0 2 * * *' (every night at 02:00).`, { hook });
  }
  const expression = schedule.trim().replace(/\s+/g, ' ');
  const check = validateDetailed(expression);
  if (!check.valid) {
    const reasons = check.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
    throw invalid(
      `Hook '${hook}' has an invalid schedule '${expression}' (${reasons}). Write 5 fields, minute hour day-of-month month day-of-week ` +
        "(e.g. '0 2 * * *'), or 6 with seconds first.",
      { hook, schedule: expression, errors: check.errors },
    );
  }
  if (timezone !== null) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: timezone });
    } catch {
      throw invalid(`Hook '${hook}' has an unknown time zone '${timezone}': give an IANA name such as 'Europe/Berlin', or none for UTC.`, {
        hook,
        timezone,
      });
    }
  }
  return expression;
}

/** The first tick of the schedule after now. */
export function nextTick(schedule: string, timezone: string | null): Date {
  const task = createTask(schedule, () => undefined, { timezone: timezone ?? 'UTC' });
  try {
    const [next] = task.getNextRuns(1);
    if (!next) throw new InvalidInput(`The schedule '${schedule}' has no next run.`, { rucioClass: 'InputValidationError' });
    return next;
  } finally {
    void task.destroy();
  }
}
