/**
 * The XRootD part of `npm run bench:transfers`, on the two servers of scripts/services/xrootd.sh:
 *  (c) one file (TARN_BENCH_XROOTD_MIB, default 256) root:// -> root:// through Tarn, streamed through the worker
 *      and third-party (the destination server pulls), each beside xrdcp of the same file the same way (xrdcp
 *      streaming through this host, and xrdcp --tpc only), alternately, TARN_BENCH_XROOTD_ROUNDS times (2);
 *  (d) many small files root:// -> root:// streamed and third-party, with the XRootD client processes Tarn started
 *      for them, beside one xrdcp per file (as many at once as Tarn copies).
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import { ChecksumSet } from '@tarn/checksums';
import { deterministicPath } from '@tarn/domain';
import { createStorage, XrootdSession, type StorageProtocol } from '@tarn/storage';
import { createRse } from '@tarn/testing/factories/rse.factory.js';
import { createTestXrootdArea } from '@tarn/testing/storage.js';

type Area = Awaited<ReturnType<typeof createTestXrootdArea>>;

export interface XrootdBenchContext {
  ds: DataSource;
  scope: string;
  concurrency: number;
  /** Registers files (DIDs, AVAILABLE replicas on the RSE, a dataset holding them). */
  register(rseId: string, dataset: string, files: Array<{ name: string; bytes: number; adler32: string; md5: string }>): Promise<void>;
  /** A rule on `did` to `rse` copying from `source`, created and driven by the daemons' loops until OK: seconds. */
  replicate(did: string, rse: string, source: string): Promise<number>;
  /** Removed when the bench ends. */
  areas: Array<{ drop(): Promise<void> }>;
}

const MIB = 1024 * 1024;
const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9;
const list = (xs: number[]) => xs.map((t) => t.toFixed(2)).join(', ');
const best = (xs: number[]) => Math.min(...xs);

function protocolOf(area: Area, tpc: number) {
  return {
    scheme: 'root',
    hostname: area.protocol.hostname,
    port: area.protocol.port ?? 1094,
    prefix: area.protocol.prefix,
    impl: 'rucio.rse.protocols.xrootd.Default',
    domains: { wan: { read: 1, write: 1, delete: 1, third_party_copy_read: tpc, third_party_copy_write: tpc }, lan: { read: 1, write: 1, delete: 1 } },
  };
}

function xrdcp(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('xrdcp', ['--force', '--nopbar', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`xrdcp ${args.join(' ')}: exit ${code}: ${stderr}`))));
  });
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await run();
  return seconds(start);
}

async function sums(data: Buffer): Promise<{ adler32: string; md5: string }> {
  const set = await ChecksumSet.create(['adler32', 'md5']);
  set.update(data);
  const r = set.result();
  return { adler32: r.adler32!, md5: r.md5! };
}

/** A new directory on server A or B, an RSE on it (third-party copy allowed or not), and its storage. */
async function xrootdRse(c: XrootdBenchContext, which: 'a' | 'b', name: string, tpc: number): Promise<{ area: Area; rse: { id: string; rse: string }; storage: StorageProtocol }> {
  const area = await createTestXrootdArea(which);
  c.areas.push(area);
  const rse = await createRse(c.ds, { rse: name, protocols: [protocolOf(area, tpc)] });
  const storage = createStorage(area.protocol, { rse: name });
  c.areas.push({ drop: () => storage.close() });
  return { area, rse, storage };
}

export async function xrootdBench(c: XrootdBenchContext): Promise<string[]> {
  const bytes = Number(process.env.TARN_BENCH_XROOTD_MIB || 256) * MIB;
  const rounds = Number(process.env.TARN_BENCH_XROOTD_ROUNDS || 2);
  const smallCount = Number(process.env.TARN_BENCH_XROOTD_SMALL_FILES || 200);
  const smallBytes = 256 * 1024;
  const loadBefore = loadavg()[0];
  const processesBefore = XrootdSession.processesStarted;

  // (c) one big file on A
  const src = await xrootdRse(c, 'a', 'BENCH_XRD_SRC', 1);
  const data = randomBytes(bytes);
  const name = 'xrd.big';
  const path = deterministicPath(c.scope, name);
  await src.storage.write(path, Readable.from([data]));
  await c.register(src.rse.id, 'xrd-big', [{ name, bytes, ...(await sums(data)) }]);
  const sourceUrl = `${src.area.server.url}/${src.area.protocol.prefix}${path}`;
  const figures = { xrdcp: [] as number[], streamed: [] as number[], xrdcpTpc: [] as number[], tpc: [] as number[], load: [] as number[] };
  for (let round = 1; round <= rounds; round++) {
    const scratch = await createTestXrootdArea('b');
    c.areas.push(scratch);
    const target = (what: string) => `${scratch.server.url}/${scratch.protocol.prefix}${what}`;
    figures.load.push(loadavg()[0]);
    figures.xrdcp.push(await timed(() => xrdcp([sourceUrl, target('xrdcp.bin')])));
    const streamed = await xrootdRse(c, 'b', `BENCH_XRD_STREAM_${round}`, 0);
    figures.streamed.push(await c.replicate(`${c.scope}:${name}`, streamed.rse.rse, src.rse.rse));
    figures.xrdcpTpc.push(await timed(() => xrdcp(['--tpc', 'only', sourceUrl, target('xrdcp-tpc.bin')])));
    const thirdParty = await xrootdRse(c, 'b', `BENCH_XRD_TPC_${round}`, 1);
    figures.tpc.push(await c.replicate(`${c.scope}:${name}`, thirdParty.rse.rse, src.rse.rse));
    execFileSync('rm', ['-rf', `${scratch.server.files}/${scratch.directory}`]);
  }
  const [{ methods }] = await c.ds.query(
    `SELECT json_object_agg(s.rse, h.copy_method) AS methods FROM requests_history h JOIN rses s ON s.id = h.dest_rse_id WHERE h.name = $1 AND h.state = 'D'`,
    [name],
  );
  const rate = (t: number) => `${(bytes / t / MIB).toFixed(0)} MiB/s`;

  // (d) small files on A
  const smallSrc = await xrootdRse(c, 'a', 'BENCH_XRD_SMALL_SRC', 1);
  const base = randomBytes(smallBytes);
  const small: Array<{ name: string; bytes: number; content: Buffer; adler32: string; md5: string }> = [];
  for (let i = 0; i < smallCount; i++) {
    const content = Buffer.from(base);
    content.writeUInt32BE(i, 0);
    const fileName = `xrd.small.${String(i).padStart(5, '0')}`;
    small.push({ name: fileName, bytes: smallBytes, content, ...(await sums(content)) });
  }
  await Promise.all(small.map((f) => smallSrc.storage.write(deterministicPath(c.scope, f.name), Readable.from([f.content]))));
  await c.register(smallSrc.rse.id, 'xrd-small', small);
  const smallStreamed = await xrootdRse(c, 'b', 'BENCH_XRD_SMALL_STREAM', 0);
  const smallLoad = loadavg()[0];
  const callsBefore = XrootdSession.callsMade;
  const smallTarn = await c.replicate(`${c.scope}:xrd-small`, smallStreamed.rse.rse, smallSrc.rse.rse);
  const smallCalls = XrootdSession.callsMade - callsBefore;
  const smallTpc = await xrootdRse(c, 'b', 'BENCH_XRD_SMALL_TPC', 1);
  const smallTarnTpc = await c.replicate(`${c.scope}:xrd-small`, smallTpc.rse.rse, smallSrc.rse.rse);
  const scratch = await createTestXrootdArea('b');
  c.areas.push(scratch);
  let next = 0;
  const smallXrdcp = await timed(() =>
    Promise.all(
      Array.from({ length: c.concurrency }, async () => {
        while (next < small.length) {
          const f = small[next++];
          await xrdcp([`${smallSrc.area.server.url}/${smallSrc.area.protocol.prefix}${deterministicPath(c.scope, f.name)}`, `${scratch.server.url}/${scratch.protocol.prefix}${f.name}`]);
        }
      }),
    ),
  );

  const processes = XrootdSession.processesStarted - processesBefore;
  return [
    `(c) ${bytes / MIB} MiB root:// -> root:// (${src.area.server.url} -> ${smallStreamed.area.server.url}), rule created -> OK, ${rounds} rounds at load ${list(figures.load)} (${loadBefore.toFixed(2)} before):`,
    `    Tarn streamed through the worker (third_party_copy 0) ${list(figures.streamed)} s (best ${rate(best(figures.streamed))}); limit: xrdcp root:// -> root:// (through this host) ${list(figures.xrdcp)} s (best ${rate(best(figures.xrdcp))}); Tarn/xrdcp best/best ${(best(figures.xrdcp) / best(figures.streamed)).toFixed(2)}x`,
    `    Tarn third-party (the destination server pulls) ${list(figures.tpc)} s (best ${rate(best(figures.tpc))}); limit: xrdcp --tpc only ${list(figures.xrdcpTpc)} s (best ${rate(best(figures.xrdcpTpc))}); Tarn/xrdcp best/best ${(best(figures.xrdcpTpc) / best(figures.tpc)).toFixed(2)}x`,
    `    recorded methods: ${JSON.stringify(methods)}`,
    `    XRootD client processes Tarn started for all of (c) and (d): ${processes} (xrdcp: one per copy)`,
    `(d) ${smallCount} x ${smallBytes / 1024} KiB root:// -> root://, rule created -> OK, at load ${smallLoad.toFixed(2)}, worker concurrency ${c.concurrency}:`,
    `    Tarn streamed (by the XRootD client of the worker's one session: ${(smallCalls / smallCount).toFixed(1)} calls per file) ${smallTarn.toFixed(2)} s = ${(smallCount / smallTarn).toFixed(0)} files/s; limit: one xrdcp per file, ${c.concurrency} at once: ${smallXrdcp.toFixed(2)} s = ${(smallCount / smallXrdcp).toFixed(0)} files/s, ${smallCount} processes`,
    `    Tarn third-party ${smallTarnTpc.toFixed(2)} s = ${(smallCount / smallTarnTpc).toFixed(1)} files/s (each root:// third-party copy ends ~2.5 s after it starts on XRootD 5.5: transfers/tpc_min_bytes streams small files)`,
  ];
}
