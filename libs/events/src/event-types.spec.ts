import { EVENT_SCHEMAS, payloadProblems } from './event-schemas.js';
import { FILES_PER_EVENT, filesCreatedEvents } from './event-types.js';

describe('filesCreatedEvents', () => {
  const file = (scope: string, name: string, account = 'jdoe') => ({ scope, name, account });

  it('lists new files per scope and account, keyed by the scope, FILES_PER_EVENT names at most', () => {
    const many = Array.from({ length: FILES_PER_EVENT + 2 }, (_, i) => file('user.jdoe', `night.${i}`));
    const events = filesCreatedEvents([...many, file('user.alice', 'a.1', 'alice'), file('user.jdoe', 'by.root', 'root')]);
    expect(events.map((e) => [e.key, e.payload.scope, e.payload.account, e.payload.count, e.payload.names.length])).toEqual([
      ['user.jdoe', 'user.jdoe', 'jdoe', FILES_PER_EVENT, FILES_PER_EVENT],
      ['user.jdoe', 'user.jdoe', 'jdoe', 2, 2],
      ['user.alice', 'user.alice', 'alice', 1, 1],
      ['user.jdoe', 'user.jdoe', 'root', 1, 1],
    ]);
    expect(events.slice(0, 2).flatMap((e) => e.payload.names)).toEqual(many.map((f) => f.name));
    for (const event of events) expect(payloadProblems(EVENT_SCHEMAS['files.created'][1], event.payload)).toEqual([]);
  });

  it('makes no event of no files', () => {
    expect(filesCreatedEvents([])).toEqual([]);
  });

  it('rejects a payload whose names are not strings', () => {
    expect(payloadProblems(EVENT_SCHEMAS['files.created'][1], { scope: 's', account: 'a', count: 1, names: [1] })).toEqual([
      'names must be string[], got array',
    ]);
  });
});
