import * as path from 'node:path';
import { ConfigError, loadConfig, nestLogLevels } from './config.js';

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

  it('accepts OIDC tokens only with issuers on https (or this machine) and an audience of its own', () => {
    expect(loadConfig({}).oidc).toBeUndefined();
    const oidc = loadConfig({ TARN_OIDC_ISSUERS: 'https://iam.example.org/, http://127.0.0.1:8443', TARN_OIDC_AUDIENCE: 'https://tarn.example.org' }).oidc;
    expect(oidc).toMatchObject({
      issuers: ['https://iam.example.org/', 'http://127.0.0.1:8443'],
      audience: 'https://tarn.example.org',
      audienceParameter: 'audience',
      clockSkewSeconds: 60,
      groupsClaims: ['wlcg.groups', 'groups'],
    });
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(problems({ TARN_OIDC_ISSUERS: 'http://iam.example.org', TARN_OIDC_AUDIENCE: 'tarn' })).toContain("'http://iam.example.org' must be an https URL");
    expect(problems({ TARN_OIDC_ISSUERS: 'https://iam.example.org' })).toContain('TARN_OIDC_AUDIENCE must name the audience');
    expect(problems({ TARN_OIDC_ISSUERS: 'https://iam.example.org', TARN_OIDC_AUDIENCE: 'https://wlcg.cern.ch/jwt/v1/any' })).toContain('may not be the wildcard audience');
    expect(problems({ TARN_OIDC_ISSUERS: 'https://iam.example.org', TARN_OIDC_AUDIENCE: 'tarn', TARN_OIDC_CLOCK_SKEW_SECONDS: '3600' })).toContain(
      'TARN_OIDC_CLOCK_SKEW_SECONDS=3600 must be whole seconds from 0 to 300',
    );
    expect(problems({ TARN_OIDC_AUDIENCE: 'tarn' })).toContain('TARN_OIDC_AUDIENCE is set but TARN_OIDC_ISSUERS is not');
  });

  it("configures the web UI's login through an identity provider only with a client of its own, at one of the issuers", () => {
    const base = { TARN_OIDC_ISSUERS: 'https://iam.example.org/,https://kc.example.org/realms/x', TARN_OIDC_AUDIENCE: 'https://tarn.example.org' };
    expect(loadConfig(base).oidc!.web).toBeUndefined();
    expect(loadConfig({ ...base, TARN_OIDC_WEB_CLIENT_ID: 'tarn-web' }).oidc!.web).toEqual({
      issuer: 'https://iam.example.org/',
      clientId: 'tarn-web',
      clientSecret: undefined,
      name: 'iam.example.org',
      scopes: 'openid wlcg.groups',
    });
    expect(
      loadConfig({ ...base, TARN_OIDC_WEB_CLIENT_ID: 'w', TARN_OIDC_WEB_CLIENT_SECRET: 's', TARN_OIDC_WEB_ISSUER: 'https://kc.example.org/realms/x', TARN_OIDC_WEB_PROVIDER_NAME: 'Lab IAM', TARN_OIDC_SCOPES: 'groups' }).oidc!.web,
    ).toEqual({ issuer: 'https://kc.example.org/realms/x', clientId: 'w', clientSecret: 's', name: 'Lab IAM', scopes: 'openid groups' });
    expect(() => loadConfig({ ...base, TARN_OIDC_WEB_CLIENT_ID: 'w', TARN_OIDC_WEB_ISSUER: 'https://evil.example.org/' })).toThrow(/TARN_OIDC_WEB_ISSUER 'https:\/\/evil.example.org\/' is not one of TARN_OIDC_ISSUERS/);
    expect(() => loadConfig({ ...base, TARN_OIDC_WEB_CLIENT_SECRET: 's' })).toThrow(/TARN_OIDC_WEB_CLIENT_SECRET is set but TARN_OIDC_WEB_CLIENT_ID is not/);
    expect(() => loadConfig({ TARN_OIDC_WEB_CLIENT_ID: 'w' })).toThrow(/TARN_OIDC_WEB_CLIENT_ID is set but TARN_OIDC_ISSUERS is not/);
  });

  it('believes X-Forwarded-For from no proxy unless TARN_TRUST_PROXY names them', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TARN_TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TARN_TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).toBe('loopback,10.0.0.0/8');
    expect(() => loadConfig({ TARN_TRUST_PROXY: 'everyone' })).toThrow(/TARN_TRUST_PROXY .* not everyone/);
  });
  it('reads TARN_LOG_LEVEL: warn by default, info or debug for the framework start-up steps', () => {
    expect(loadConfig({}).logLevel).toBe('warn');
    expect(loadConfig({ TARN_LOG_LEVEL: 'INFO' }).logLevel).toBe('info');
    expect(nestLogLevels('warn')).toEqual(['error', 'warn']);
    expect(nestLogLevels('info')).toEqual(['error', 'warn', 'log']);
    expect(() => loadConfig({ TARN_LOG_LEVEL: 'loud' })).toThrow(/TARN_LOG_LEVEL must be warn, info, debug, not 'loud'/);
  });
});
