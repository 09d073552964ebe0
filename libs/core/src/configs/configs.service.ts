import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { InvalidInput, NotFound } from '@tarn/domain';
import { unitOfWork } from '@tarn/catalogue';
import { configRepository } from '@tarn/catalogue/repositories/config.repository.js';
import type { Issuer } from '../auth/issuer.js';
import { Permissions } from '../auth/permissions.js';

export type ConfigValue = string | number | boolean;

const SECTION = /^[A-Za-z0-9_.-]{1,128}$/;
/** Options name things such as `<RSE>/<activity>` (throttler), and activities have spaces: any printable text. */
const OPTION = /^(?=.*\S)[^\u0000-\u001f\u007f]{1,128}$/;
const MAX_VALUE = 4000;

function validName(what: 'section' | 'option', value: unknown): string {
  const ok = typeof value === 'string' && (what === 'section' ? SECTION : OPTION).test(value);
  if (!ok) {
    const rule = what === 'section' ? "letters, digits, '_', '.' and '-'" : 'printable characters, not only spaces';
    throw new InvalidInput(`Invalid config ${what} ${JSON.stringify(value)}: ${rule}, at most 128.`, { rucioClass: 'InputValidationError' });
  }
  return value as string;
}

function validValue(section: string, option: string, value: unknown): string {
  if (value === null || value === undefined || (typeof value === 'object' && value !== null)) {
    throw new InvalidInput(`The value of ${section}.${option} must be text, a number or true/false.`, { rucioClass: 'InputValidationError' });
  }
  const text = String(value);
  if (text.length > MAX_VALUE) throw new InvalidInput(`The value of ${section}.${option} has ${text.length} characters; at most ${MAX_VALUE}.`, { rucioClass: 'InputValidationError' });
  return text;
}

/** A stored value as Rucio's config answers it: true/false and numbers typed, the rest as text. */
export function configValue(text: string): ConfigValue {
  const lower = text.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  if (/^-?\d+(\.\d+)?$/.test(text) && Number.isFinite(Number(text))) return Number(text);
  return text;
}

function notFound(what: string): NotFound {
  return new NotFound(`No config ${what}. List the configuration (rucio config list) to see what is set.`, { rucioClass: 'ConfigNotFound' });
}

/**
 * The `configs` table through the API (Rucio's /config): the runtime knobs of the daemons (e.g. rules
 * inject_threshold, repairer backoff, auditor settings, traces), read and changed without a restart. Administrators
 * only, as in Rucio.
 */
@Injectable()
export class ConfigsService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(Permissions) private readonly permissions: Permissions,
  ) {}

  async all(issuer: Issuer): Promise<Record<string, Record<string, ConfigValue>>> {
    this.permissions.assertAdmin(issuer, 'read the configuration');
    const result: Record<string, Record<string, ConfigValue>> = {};
    for (const entry of await configRepository.list(this.dataSource.manager)) (result[entry.section] ??= {})[entry.opt] = configValue(entry.value);
    return result;
  }

  async section(issuer: Issuer, section: string): Promise<Record<string, ConfigValue>> {
    this.permissions.assertAdmin(issuer, 'read the configuration');
    const entries = await configRepository.list(this.dataSource.manager, validName('section', section));
    if (entries.length === 0) throw notFound(`section '${section}'`);
    return Object.fromEntries(entries.map((e) => [e.opt, configValue(e.value)]));
  }

  async option(issuer: Issuer, section: string, option: string): Promise<ConfigValue> {
    this.permissions.assertAdmin(issuer, 'read the configuration');
    const value = await configRepository.get(this.dataSource.manager, validName('section', section), validName('option', option));
    if (value === null) throw notFound(`option '${section}.${option}'`);
    return configValue(value);
  }

  /** Sets options: {section: {option: value}}, all in one transaction. */
  async set(issuer: Issuer, values: Record<string, Record<string, unknown>>): Promise<number> {
    this.permissions.assertAdmin(issuer, 'change the configuration');
    if (!values || typeof values !== 'object' || Array.isArray(values)) {
      throw new InvalidInput('Give the options to set as {"<section>": {"<option>": <value>}}.', { rucioClass: 'InputValidationError' });
    }
    const entries = Object.entries(values).flatMap(([section, options]) => {
      if (!options || typeof options !== 'object' || Array.isArray(options)) {
        throw new InvalidInput(`The options of section '${section}' must be an object {"<option>": <value>}.`, { rucioClass: 'InputValidationError' });
      }
      return Object.entries(options).map(([opt, value]) => ({ section: validName('section', section), opt: validName('option', opt), value: validValue(section, opt, value) }));
    });
    if (entries.length === 0) throw new InvalidInput('No config option to set was given.', { rucioClass: 'InputValidationError' });
    await unitOfWork(this.dataSource, { what: 'configuration' }, (manager) => configRepository.set(manager, entries));
    return entries.length;
  }

  /** Removes an option, or a whole section. */
  async remove(issuer: Issuer, section: string, option: string | null = null): Promise<void> {
    this.permissions.assertAdmin(issuer, 'change the configuration');
    const removed = await unitOfWork(this.dataSource, { what: 'configuration' }, (manager) =>
      configRepository.remove(manager, validName('section', section), option === null ? null : validName('option', option)),
    );
    if (removed === 0) throw notFound(option === null ? `section '${section}'` : `option '${section}.${option}'`);
  }
}
