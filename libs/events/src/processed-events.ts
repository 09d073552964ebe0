import { DataSource, EntityManager } from 'typeorm';
import { unitOfWork } from '@tarn/catalogue';
import { markEventsProcessed } from '@tarn/catalogue/repositories/operations.index.js';

/**
 * Applies an event's effect at most once per consumer group, whatever the redeliveries: records
 * (group, event id) in `processed_events` in the same transaction as the effect, and skips the work if
 * that row already exists. Use it for handlers whose effect is not idempotent by nature (counters, mails,
 * appends); handlers that set a state or re-evaluate from the catalogue need nothing.
 */
export async function applyOnce<T>(
  dataSource: DataSource,
  group: string,
  event: { id: number; type: string; key: string },
  work: (manager: EntityManager) => Promise<T>,
): Promise<{ applied: true; result: T } | { applied: false }> {
  return unitOfWork(dataSource, { what: `event ${event.id} (${event.type} ${event.key}) for consumer group ${group}` }, async (manager) => {
    const [recorded] = await markEventsProcessed(manager, group, [event.id]);
    if (recorded === undefined) return { applied: false as const };
    return { applied: true as const, result: await work(manager) };
  });
}
