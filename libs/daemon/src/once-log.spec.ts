import { OnceLog } from './once-log.js';

describe('OnceLog', () => {
  it('says true the first time a key is seen only', () => {
    const log = new OnceLog();
    expect([log.first('a'), log.first('b'), log.first('a'), log.first('b')]).toEqual([true, true, false, false]);
  });

  it('forgets everything when full, so memory stays bounded', () => {
    const log = new OnceLog(2);
    log.first('a');
    log.first('b');
    expect(log.first('c')).toBe(true);
    expect(log.first('a')).toBe(true);
  });
});
