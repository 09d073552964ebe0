import { DEFAULT_MAX_ACTIVE, parseThrottleSettings } from './transfer-settings.js';

describe('parseThrottleSettings', () => {
  it('reads the default, per-RSE and per-RSE-and-activity limits, ignoring values that are not counts', () => {
    const settings = parseThrottleSettings(
      new Map([
        ['default', '20'],
        ['SITE_A', '5'],
        ['SITE_B/Data rebalancing', '2'],
        ['SITE_C', 'many'],
        ['SITE_D', '-1'],
      ]),
    );
    expect(settings).toEqual({
      defaultMaxActive: 20,
      limits: [
        { rse: 'SITE_A', activity: null, maxActive: 5 },
        { rse: 'SITE_B', activity: 'Data rebalancing', maxActive: 2 },
      ],
    });
  });

  it('defaults to DEFAULT_MAX_ACTIVE with no limits', () => {
    expect(parseThrottleSettings(new Map())).toEqual({ defaultMaxActive: DEFAULT_MAX_ACTIVE, limits: [] });
  });
});
