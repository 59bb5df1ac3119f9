// `berth trace fetch` against a real HTTP server on 127.0.0.1 serving fixture files: checksums,
// resuming an interrupted download, a connection that drops, a server that ignores Range, files
// already in place, errors; then replaying what was fetched.

import { createHash } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../sim/errors.ts';
import { runSimulation } from '../sim/run.ts';
import { fetchSet, type FetchOptions } from '../traces/fetch.ts';
import { parseParts, traceSet, type TraceSet } from '../traces/sets.ts';
import { PROJECT, SHARED } from './peer-support.ts';

const F = join(PROJECT, 'test', 'fixtures');
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** What the test server serves, and how it misbehaves. */
interface Site {
  files: Map<string, Buffer>;
  /** Paths whose next response stops halfway and drops the connection (once each). */
  dropOnce: Set<string>;
  /**
   * When a dropped response may close: once the client has saved some of it (so that the test
   * of resuming does not depend on how fast the client reads).
   */
  dropWhen: () => boolean;
  /** Answer every request with the whole file (200), as servers without Range support do. */
  ignoreRange: boolean;
  requests: { path: string; range: string | undefined }[];
}

const site: Site = { files: new Map(), dropOnce: new Set(), dropWhen: () => true, ignoreRange: false, requests: [] };
let server: Server;
let base: string;

function handle(req: IncomingMessage, res: import('node:http').ServerResponse): void {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.slice(1));
  const range = req.headers.range;
  site.requests.push({ path, range });
  const body = site.files.get(path);
  if (!body) {
    res.writeHead(404, 'Not Found').end();
    return;
  }
  let start = 0;
  const m = range && !site.ignoreRange ? /^bytes=(\d+)-$/.exec(range) : null;
  if (m) {
    start = Number(m[1]);
    if (start >= body.length) {
      res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
      return;
    }
    res.writeHead(206, { 'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}`, 'Content-Length': body.length - start });
  } else {
    res.writeHead(200, { 'Content-Length': body.length });
  }
  const rest = body.subarray(start);
  if (site.dropOnce.delete(path)) {
    // Half the body, then, once the client has saved some, the connection closed: the client
    // sees a body shorter than announced.
    res.write(rest.subarray(0, Math.floor(rest.length / 2)));
    const started = Date.now();
    const close = setInterval(() => {
      if (!site.dropWhen() && Date.now() - started < 10_000) return;
      clearInterval(close);
      res.socket?.destroy();
    }, 5);
    return;
  }
  res.end(rest);
}

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function reset(files: Record<string, Buffer>): void {
  site.files = new Map(Object.entries(files));
  site.dropOnce.clear();
  site.dropWhen = () => true;
  site.ignoreRange = false;
  site.requests = [];
}

const outDir = (): string => mkdtempSync(join(tmpdir(), 'berth-fetch-'));
const options = (out: string, extra: Partial<FetchOptions> = {}): FetchOptions => ({ out, selection: {}, baseUrl: base, retryDelayMs: 1, ...extra });

/** A Google 2011 set of two parts, made of the project's fixtures, with its SHA256SUM. */
function googleSite(): Record<string, Buffer> {
  const files: Record<string, Buffer> = {};
  // A fixture table: its part files, in order, inflated and put end to end.
  const table = (name: string) => Buffer.concat(readdirSync(join(F, 'google2011', name)).sort().map((f) => {
    const raw = readFileSync(join(F, 'google2011', name, f));
    return f.endsWith('.gz') ? gunzipSync(raw) : raw;
  }));
  for (const t of ['machine_events', 'machine_attributes']) files[`${t}/part-00000-of-00001.csv.gz`] = gzipSync(table(t));
  for (const t of ['task_events', 'task_constraints']) {
    const lines = table(t).toString().trimEnd().split('\n');
    const half = Math.ceil(lines.length / 2); // rows sorted by time: part 0 then part 1
    files[`${t}/part-00000-of-00500.csv.gz`] = gzipSync(lines.slice(0, half).join('\n') + '\n');
    files[`${t}/part-00001-of-00500.csv.gz`] = gzipSync(lines.slice(half).join('\n') + '\n');
  }
  files.SHA256SUM = Buffer.from(Object.entries(files).map(([p, b]) => `${sha256(b)} *${p}\n`).join(''));
  return files;
}

describe('berth trace fetch', () => {
  it('fetches google2011 parts with their published checksums, and what it fetched replays', async () => {
    reset(googleSite());
    const out = outDir();
    const done = await fetchSet(traceSet('google2011'), options(out, { selection: { parts: parseParts('0-1') } }));
    expect(done.map((f) => f.outcome)).toEqual(Array(6).fill('fetched'));
    expect(done.every((f) => f.checked === 'ok')).toBe(true);
    for (const f of done) expect(readFileSync(f.path)).toEqual(site.files.get(f.path.slice(out.length + 1)));
    expect(readFileSync(join(out, 'SHA256SUM'), 'utf8')).toBe(site.files.get('SHA256SUM')!.toString());
    expect(readdirSync(join(out, 'task_events'))).toEqual(['part-00000-of-00500.csv.gz', 'part-00001-of-00500.csv.gz']); // no .part left

    const s = await runSimulation({
      scheduler: 'first-fit', seed: 1, queue: 'greedy',
      cluster: { files: [join(out, 'machine_events'), join(out, 'machine_attributes')], format: 'google2011' },
      workload: { files: [join(out, 'task_events'), join(out, 'task_constraints')], format: 'google2011' },
    });
    expect(s.tasks.submitted).toBe(7); // as from the fixture itself (replay.test.ts)
  });

  it('asks only for the parts chosen', async () => {
    reset(googleSite());
    await fetchSet(traceSet('google2011'), options(outDir(), { selection: { parts: [1] } }));
    expect(site.requests.map((r) => r.path)).toEqual([
      'SHA256SUM', 'machine_events/part-00000-of-00001.csv.gz', 'machine_attributes/part-00000-of-00001.csv.gz',
      'task_events/part-00001-of-00500.csv.gz', 'task_constraints/part-00001-of-00500.csv.gz',
    ]);
  });

  it('resumes the part an interrupted run left, with a Range request', async () => {
    reset(googleSite());
    const out = outDir();
    const name = 'task_events/part-00000-of-00500.csv.gz';
    const whole = site.files.get(name)!;
    mkdirSync(join(out, 'task_events'), { recursive: true });
    writeFileSync(join(out, 'task_events', `.part-00000-of-00500.csv.gz.part`), whole.subarray(0, 100));
    const done = await fetchSet(traceSet('google2011'), options(out, { selection: { parts: [0] } }));
    expect(done.find((f) => f.path.endsWith(name))).toMatchObject({ outcome: 'resumed', checked: 'ok' });
    expect(site.requests.find((r) => r.path === name)?.range).toBe('bytes=100-');
    expect(readFileSync(join(out, name))).toEqual(whole);
  });

  it('takes up again where a dropped connection stopped', async () => {
    reset(googleSite());
    const name = 'task_constraints/part-00000-of-00500.csv.gz';
    site.dropOnce.add(name);
    const out = outDir();
    const part = join(out, 'task_constraints', '.part-00000-of-00500.csv.gz.part');
    site.dropWhen = () => existsSync(part) && statSync(part).size > 0;
    const lines: string[] = [];
    await fetchSet(traceSet('google2011'), options(out, { selection: { parts: [0] }, log: (l) => lines.push(l) }));
    const asked = site.requests.filter((r) => r.path === name);
    expect(asked).toHaveLength(2);
    expect(asked[1]!.range).toMatch(/^bytes=\d+-$/);
    expect(Number(/\d+/.exec(asked[1]!.range!)![0])).toBeGreaterThan(0);
    expect(readFileSync(join(out, name))).toEqual(site.files.get(name));
    expect(lines.some((l) => /connection dropped/.test(l))).toBe(true);
  });

  it('starts over when the server ignores Range', async () => {
    reset(googleSite());
    site.ignoreRange = true;
    const out = outDir();
    const name = 'task_events/part-00000-of-00500.csv.gz';
    mkdirSync(join(out, 'task_events'), { recursive: true });
    writeFileSync(join(out, 'task_events', '.part-00000-of-00500.csv.gz.part'), Buffer.from('stale bytes from another version'));
    await fetchSet(traceSet('google2011'), options(out, { selection: { parts: [0] } }));
    expect(readFileSync(join(out, name))).toEqual(site.files.get(name));
  });

  it('keeps files already there, checking them, and refuses to overwrite one that differs', async () => {
    reset(googleSite());
    const out = outDir();
    await fetchSet(traceSet('google2011'), options(out, { selection: { parts: [0] } }));
    site.requests = [];
    const again = await fetchSet(traceSet('google2011'), options(out, { selection: { parts: [0] } }));
    expect(again.every((f) => f.outcome === 'present' && f.checked === 'ok')).toBe(true);
    expect(site.requests.map((r) => r.path)).toEqual(['SHA256SUM']);

    const mine = join(out, 'task_events', 'part-00000-of-00500.csv.gz');
    writeFileSync(mine, 'my own edits');
    const err = await fetchSet(traceSet('google2011'), options(out, { selection: { parts: [0] } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(String((err as Error).message)).toMatch(/part-00000-of-00500\.csv\.gz: already there, but its SHA-256 is .* will not overwrite/);
    expect(readFileSync(mine, 'utf8')).toBe('my own edits');
  });

  it('stops on a checksum mismatch, leaving nothing half-done behind', async () => {
    const files = googleSite();
    files.SHA256SUM = Buffer.from(files.SHA256SUM!.toString().replace(/^[0-9a-f]{64}(?= \*machine_events)/m, '0'.repeat(64)));
    reset(files);
    const out = outDir();
    const err = await fetchSet(traceSet('google2011'), options(out, { selection: { parts: [0] } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/machine_events\/part-00000-of-00001\.csv\.gz: the download's SHA-256 is [0-9a-f]{64}, not the expected 0{64}/);
    expect(readdirSync(join(out, 'machine_events'))).toEqual([]);
  });

  it('says which address answered 404, and gives up on a server that is not there', async () => {
    reset({});
    const err = await fetchSet(traceSet('swf'), options(outDir(), { selection: { logs: ['KTH-SP2-1996-2.1-cln'] } })).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/l_kth_sp2\/KTH-SP2-1996-2\.1-cln\.swf\.gz: the server answered 404/);

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const dead = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const gone = await fetchSet(traceSet('azure2017'), options(outDir(), { baseUrl: dead, retries: 1 })).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(InputError);
    expect((gone as Error).message).toMatch(/cannot reach 127\.0\.0\.1:\d+: ECONNREFUSED; gave up after 2 attempts/);
  });

  it('unknown logs and parts out of range are clear errors', () => {
    expect(() => traceSet('swf').files({ logs: ['NOPE-1999'] })).toThrow(/unknown log "NOPE-1999"; berth knows .*LANL-CM5-1994-4\.1-cln/);
    expect(() => parseParts('498-500')).toThrow(/--parts: expected part numbers from 0 to 499/);
    expect(() => parseParts('4-2')).toThrow(/got "4-2"/);
    expect(parseParts('0-2,7,1')).toEqual([0, 1, 2, 7]);
  });

  it('unpacks archives once fetched (a set like alibaba2018)', async () => {
    const src = mkdtempSync(join(tmpdir(), 'berth-tar-'));
    writeFileSync(join(src, 'batch_task.csv'), readFileSync(join(F, 'alibaba2018', 'batch_task.csv')));
    execFileSync('tar', ['-czf', join(src, 'batch_task.tar.gz'), '-C', src, 'batch_task.csv']);
    const archive = readFileSync(join(src, 'batch_task.tar.gz'));
    reset({ 'batch_task.tar.gz': archive });
    const set: TraceSet = {
      ...traceSet('alibaba2018'),
      files: () => [{ remote: 'batch_task.tar.gz', local: 'archives/batch_task.tar.gz', sha256: sha256(archive), unpacksTo: 'batch_task.csv' }],
    };
    const out = outDir();
    const [done] = await fetchSet(set, options(out));
    expect(done!.unpacked).toBe(join(out, 'batch_task.csv'));
    expect(readFileSync(join(out, 'batch_task.csv'))).toEqual(readFileSync(join(F, 'alibaba2018', 'batch_task.csv')));

    reset({ 'machine_meta.tar.gz': archive }); // the real set's published checksum is not this archive's
    const err = await fetchSet(traceSet('alibaba2018'), options(outDir())).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/machine_meta\.tar\.gz: the download's SHA-256 is [0-9a-f]{64}, not the expected b5b1b786b22cd413/);
  });

  it('a set without a download address says how to get it by hand', async () => {
    const err = await fetchSet(traceSet('google2019'), { out: outDir(), selection: {} }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/google2019 cannot be downloaded: .*BigQuery/);
  });
});

const openb = join(SHARED, 'traces', 'alibaba-gpu-v2023');
describe.skipIf(!existsSync(openb))(`the real openb files${existsSync(openb) ? '' : ' (skipped: ../shared/traces is not beside the project)'}`, () => {
  it('match the checksums berth knows for them', async () => {
    reset(Object.fromEntries(readdirSync(openb).filter((f) => f.endsWith('.csv')).map((f) => [f, readFileSync(join(openb, f))])));
    const done = await fetchSet(traceSet('openb'), options(outDir()));
    expect(done).toHaveLength(3);
    expect(done.every((f) => f.checked === 'ok' && f.outcome === 'fetched')).toBe(true);
  });
});

describe('berth trace fetch on the command line', () => {
  const berth = (...args: string[]) => new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    // Not spawnSync: the server answering lives in this process.
    const child = spawn(process.execPath, [join(PROJECT, 'bin', 'berth.js'), ...args], { cwd: PROJECT });
    let out = '', err = '';
    child.stdout.on('data', (d: Buffer) => { out += d; });
    child.stderr.on('data', (d: Buffer) => { err += d; });
    child.on('close', (code) => resolve({ code, out, err }));
  });

  it('fetches, reports and says how to replay', async () => {
    reset(googleSite());
    const out = outDir();
    const r = await berth('trace', 'fetch', 'google2011', '--parts', '0', '--out', out, '--base-url', base);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^fetched .*task_events\/part-00000-of-00500\.csv\.gz \([\d.]+ [KB]+, SHA-256 checked\)$/m);
    expect(r.out).toMatch(/^google2011: 4 files, .* \(4 downloaded now; all checked against their SHA-256\)$/m);
    expect(r.out).toContain(`berth sim --trace ${join(out, 'task_events')}`);
  });

  it('prints the by-hand route for google2019, lists the sets, and refuses unknown sets and misplaced flags', async () => {
    const hand = await berth('trace', 'fetch', 'google2019');
    expect(hand.code).toBe(0);
    expect(hand.out).toMatch(/cannot be downloaded[\s\S]*bq extract[\s\S]*--format google2019/);
    const list = await berth('trace', 'fetch', '--list');
    expect(list.out).toMatch(/^google2011 .*\n.*SHA256SUM/m);
    const unknown = await berth('trace', 'fetch', 'google2031');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown trace set "google2031"; expected one of google2011, google2019/);
    const misplaced = await berth('trace', 'fetch', 'openb', '--parts', '0-4');
    expect(misplaced.code).toBe(2);
    expect(misplaced.err).toMatch(/--parts goes with a set cut into parts \(google2011\), not openb/);
  });
});
