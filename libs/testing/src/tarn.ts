import type { INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { ALL_TOPICS } from '@tarn/events';
import type { TestDatabase } from './database.js';
import { createTestTopics, deleteTestTopics, kafkaBrokers, testTopicPrefix } from './kafka.js';
import { createTestingModule } from './nest.js';

/** How the daemons hear about changes: the PostgreSQL outbox bus (embedded mode) or Apache Kafka. */
export type EventBusMode = 'embedded' | 'kafka';

export interface TestTarn {
  mode: EventBusMode;
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

/** Daemon knobs for tests: sweeps every second or two, so that a test never waits on a production interval. */
const FAST_DAEMONS: Record<string, string> = {
  TARN_METRICS_PORT: '0',
  TARN_RULE_EVALUATOR_INTERVAL_SECONDS: '2',
  TARN_RULE_INJECTOR_INTERVAL_SECONDS: '2',
  TARN_RULE_REPAIRER_INTERVAL_SECONDS: '2',
  TARN_RULE_CLEANER_INTERVAL_SECONDS: '1',
  TARN_UNDERTAKER_INTERVAL_SECONDS: '2',
  TARN_REPLICA_REGISTRAR_INTERVAL_SECONDS: '1',
  TARN_REAPER_INTERVAL_SECONDS: '1',
  TARN_REAPER_GRACE_SECONDS: '5',
};

/**
 * All of Tarn as `npm start` runs it — the API on a free port of 127.0.0.1 and every daemon of
 * apps/tarn — over a test database, with the event bus of `mode` (Kafka on topics of this test file's own).
 * `env` overrides daemon knobs (process.env, read when the daemons' modules are built) and settings (TarnConfig);
 * `port` is where the API listens (a free one by default).
 */
export async function startTestTarn(db: TestDatabase, mode: EventBusMode, env: Record<string, string> = {}, port = 0): Promise<TestTarn> {
  Object.assign(process.env, FAST_DAEMONS, env);
  const configEnv: Record<string, string> = { ...env };
  let prefix: string | undefined;
  if (mode === 'kafka') {
    prefix = testTopicPrefix();
    process.env.TARN_KAFKA_TOPIC_PREFIX = prefix;
    await createTestTopics(ALL_TOPICS.map((topic) => prefix + topic), 3);
    configEnv.KAFKA_BROKERS = kafkaBrokers().join(',');
    configEnv.TARN_EVENT_BUS = 'kafka';
  }
  const { ApiModule } = await import('../../../apps/api/src/api.module.js');
  const { configureApi } = await import('../../../apps/api/src/configure-api.js');
  const { DAEMON_MODULES } = await import('../../../apps/tarn/src/daemon-modules.js');
  const { DaemonModule } = await import('@tarn/daemon');
  const { EventsModule } = await import('@tarn/events');
  const moduleRef = await createTestingModule(db, [ApiModule, DaemonModule, EventsModule, ...DAEMON_MODULES], configEnv);
  const app = moduleRef.createNestApplication({ bodyParser: false, logger: ['error', 'warn'] });
  configureApi(app);
  await app.listen(port, '127.0.0.1');
  const bound = (app.getHttpServer().address() as AddressInfo).port;
  return {
    mode,
    app,
    url: `http://127.0.0.1:${bound}`,
    close: async () => {
      await app.close();
      if (prefix) await deleteTestTopics(prefix);
    },
  };
}
