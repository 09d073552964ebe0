import * as path from 'node:path';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('defaults to embedded PostgreSQL and the postgres event bus', () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBeUndefined();
    expect(config.eventBus).toBe('postgres');
    expect(config.home).toBe(path.resolve('.tarn'));
    expect(config.port).toBe(8080);
  });

  it('uses Kafka when brokers are given', () => {
    const config = loadConfig({ KAFKA_BROKERS: '127.0.0.1:9092, other:9093', DATABASE_URL: 'postgres://u@h/db' });
    expect(config.kafkaBrokers).toEqual(['127.0.0.1:9092', 'other:9093']);
    expect(config.eventBus).toBe('kafka');
  });

  it('reports every invalid variable at once', () => {
    let error: unknown;
    try {
      loadConfig({ TARN_PORT: 'eighty', DATABASE_URL: 'mysql://x', KAFKA_BROKERS: 'nohost', TARN_EVENT_BUS: 'redis' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('TARN_PORT=eighty');
    expect(message).toContain('DATABASE_URL must be a postgres:// URL');
    expect(message).toContain("KAFKA_BROKERS entry 'nohost'");
    expect(message).toContain("TARN_EVENT_BUS must be 'kafka' or 'postgres'");
  });
});
