/**
 * `npm run bench:fuzz`: schemathesis sends requests generated from the OpenAPI document to every operation of the real
 * API (in-process, on a fresh embedded PostgreSQL) for TARN_FUZZ_SECONDS (420) with two workers, as an administrator.
 * Prints how many requests the API answered, by status, and how many were 5xx, with the seed to replay the run
 * (TARN_FUZZ_SEED). Goal: at least 20,000 requests, none answered 5xx; exits non-zero otherwise.
 */
import 'reflect-metadata';
import { rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { AuthenticationService } from '@tarn/core';
import { AnswerCounter, runSchemathesis, seedFuzzFixtures } from '@tarn/testing/fuzz.js';
import { startBenchApi } from './bench-api.js';

const SECONDS = Number(process.env.TARN_FUZZ_SECONDS ?? 420);
const SEED = process.env.TARN_FUZZ_SEED ? Number(process.env.TARN_FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const GOAL_REQUESTS = 20_000;

async function main(): Promise<void> {
  const answers = new AnswerCounter();
  const api = await startBenchApi('fuzz', { onResponse: (req, res) => answers.count(req.method, req.url, res.statusCode) });
  let storage: string | undefined;
  try {
    const auth = api.app.get(AuthenticationService);
    const fixtures = await seedFuzzFixtures(api.catalogue.dataSource, async (account, password) => (await auth.authenticateUserpass(account, account, password, { lifetimeSeconds: 86_400 })).token);
    storage = fixtures.storage;
    const loadBefore = loadavg()[0];
    const started = Date.now();
    const run = await runSchemathesis(api.url, fixtures.adminToken, { maxTime: SECONDS, seed: SEED, workers: 2 });
    const seconds = (Date.now() - started) / 1000;
    const statuses = [...answers.byStatus].sort(([a], [b]) => a - b).map(([status, n]) => `${status}: ${n.toLocaleString('en')}`).join(', ');
    // Schemathesis's report from its first section header on: the errors and failures it found, then its summary.
    const report = run.output.search(/={10,} (ERRORS|FAILURES|SUMMARY) =/);
    console.log(run.output.slice(Math.max(report, 0)).trim());
    console.log(
      `fuzz bench: schemathesis (seed ${SEED}, 2 workers, ${Math.round(seconds)} s) against the API on a fresh embedded PostgreSQL ${api.catalogue.version}, ` +
        `Node ${process.version}, ${cpus().length} CPUs, load average ${loadBefore.toFixed(2)} before, ${loadavg()[0].toFixed(2)} at the end`,
    );
    console.log(`requests answered: ${answers.total.toLocaleString('en')} (${statuses})`);
    console.log(`answered 5xx: ${answers.serverErrors}${answers.serverErrors > 0 ? `: ${answers.firstServerErrors.join('; ')}` : ''}   goal 0 of >= ${GOAL_REQUESTS.toLocaleString('en')} requests`);
    const missed: string[] = [];
    if (answers.serverErrors > 0) missed.push(`${answers.serverErrors} answers were 5xx`);
    if (answers.total < GOAL_REQUESTS) missed.push(`only ${answers.total} requests (goal ${GOAL_REQUESTS}); raise TARN_FUZZ_SECONDS`);
    if (run.exitCode !== 0) missed.push(`schemathesis exited ${run.exitCode} (its report is above)`);
    if (missed.length > 0) {
      console.error(`goal missed: ${missed.join('; ')}`);
      process.exitCode = 1;
    }
  } finally {
    await api.close();
    if (storage) rmSync(storage, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
