// `berth trace fetch`: downloads a public trace set's files, resuming what an earlier run left
// unfinished (HTTP Range requests on a hidden `.NAME.part` file beside the target), retrying a
// connection that drops, checking each file against its published SHA-256, and unpacking
// archives. A file already in place is kept: checked if its checksum is known, never overwritten.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { InputError } from '../sim/errors.ts';
import type { Selection, TraceSet } from './sets.ts';

export interface FetchStatus {
  readonly file: string;
  /** 1-based position of the file among the set's, and their number. */
  readonly index: number;
  readonly count: number;
  readonly phase: 'download' | 'check' | 'unpack';
  readonly bytes: number;
  /** Bytes the file has in all, when the server says. */
  readonly total?: number;
}

export interface FetchedFile {
  /** Where it is. */
  readonly path: string;
  readonly url: string;
  /** fetched whole, resumed from an earlier run's part, or already there. */
  readonly outcome: 'fetched' | 'resumed' | 'present';
  readonly bytes: number;
  readonly sha256: string;
  /** Whether the SHA-256 was compared with a known one ('none' when none is known). */
  readonly checked: 'ok' | 'none';
  /** The file unpacked from it, for archives. */
  readonly unpacked?: string;
}

export interface FetchOptions {
  readonly out: string;
  readonly selection: Selection;
  /** Another address for the set's files (a mirror, or a test server). */
  readonly baseUrl?: string;
  /** Attempts after a dropped connection or a server error, per file (default 4). */
  readonly retries?: number;
  readonly retryDelayMs?: number;
  readonly onStatus?: (status: FetchStatus) => void;
  /** One line per event worth telling (a file done, a resume, a retry). */
  readonly log?: (line: string) => void;
}

/** Downloads a set's files into `options.out`. */
export async function fetchSet(set: TraceSet, options: FetchOptions): Promise<FetchedFile[]> {
  const base = options.baseUrl ?? set.baseUrl;
  if (base === undefined) throw new InputError({ field: 'SET' }, `${set.name} cannot be downloaded: ${set.byHand ?? 'it has no download address'}`);
  const files = set.files(options.selection);
  const log = options.log ?? (() => undefined);
  const published = set.checksumFile !== undefined ? await checksumList(urlOf(base, set.checksumFile), join(options.out, set.checksumFile), log) : new Map<string, string>();
  const done: FetchedFile[] = [];
  for (const [i, file] of files.entries()) {
    const status = (phase: FetchStatus['phase'], bytes: number, total?: number): void =>
      options.onStatus?.({ file: file.local, index: i + 1, count: files.length, phase, bytes, ...(total !== undefined && { total }) });
    const fetched = await fetchFile(urlOf(base, file.remote), join(options.out, file.local), published.get(file.remote) ?? file.sha256, options, status, log);
    const unpacked = file.unpacksTo !== undefined ? await unpack(fetched, options.out, file.unpacksTo, fetched.outcome !== 'present', status, log) : undefined;
    done.push(unpacked !== undefined ? { ...fetched, unpacked } : fetched);
  }
  return done;
}

function urlOf(base: string, path: string): string {
  return new URL(path, base.endsWith('/') ? base : base + '/').href;
}

async function fetchFile(
  url: string, path: string, expected: string | undefined, options: FetchOptions,
  status: (phase: FetchStatus['phase'], bytes: number, total?: number) => void, log: (line: string) => void,
): Promise<FetchedFile> {
  const existing = statSync(path, { throwIfNoEntry: false });
  if (existing) {
    if (expected === undefined) {
      log(`kept ${path}: already there (no checksum to check it against)`);
      return { path, url, outcome: 'present', bytes: existing.size, sha256: await sha256Of(path, (b) => status('check', b, existing.size)), checked: 'none' };
    }
    const sha256 = await sha256Of(path, (b) => status('check', b, existing.size));
    if (sha256 !== expected) {
      throw new InputError({ file: path }, `already there, but its SHA-256 is ${sha256}, not the ${expected} published for it; ` +
        'berth will not overwrite it: move it away and fetch again');
    }
    log(`kept ${path}: already there, SHA-256 checked`);
    return { path, url, outcome: 'present', bytes: existing.size, sha256, checked: 'ok' };
  }
  await mkdir(dirname(path), { recursive: true });
  const part = join(dirname(path), `.${basename(path)}.part`);
  const { resumed } = await download(url, part, options, (b, t) => status('download', b, t), log);
  const bytes = statSync(part).size;
  const sha256 = await sha256Of(part, (b) => status('check', b, bytes));
  if (expected !== undefined && sha256 !== expected) {
    await rm(part, { force: true });
    throw new InputError({ file: url }, `the download's SHA-256 is ${sha256}, not the expected ${expected}: ` +
      'the file was damaged on the way or the publisher changed it; it was deleted, fetch again to retry');
  }
  await rename(part, path);
  log(`${resumed ? 'resumed' : 'fetched'} ${path} (${bytesText(bytes)}, SHA-256 ${expected !== undefined ? 'checked' : `${sha256}, none published to check`})`);
  return { path, url, outcome: resumed ? 'resumed' : 'fetched', bytes, sha256, checked: expected !== undefined ? 'ok' : 'none' };
}

/**
 * Downloads `url` into `part`, continuing from what `part` already holds when the server takes
 * Range requests, and retrying (and resuming) when the connection drops or the server errs.
 */
async function download(
  url: string, part: string, options: FetchOptions, progress: (bytes: number, total?: number) => void, log: (line: string) => void,
): Promise<{ resumed: boolean }> {
  const retries = options.retries ?? 4;
  const delay = options.retryDelayMs ?? 1000;
  let failures = 0;
  let resumed = false;
  const retry = async (why: string): Promise<void> => {
    if (++failures > retries) throw new InputError({ file: url }, `${why}; gave up after ${retries + 1} attempts (fetch again later to resume)`);
    log(`${why}; trying again (${failures} of ${retries})`);
    await sleep(delay * 2 ** (failures - 1));
  };
  for (;;) {
    const offset = statSync(part, { throwIfNoEntry: false })?.size ?? 0;
    let response: Response;
    try {
      response = await fetch(url, { headers: offset > 0 ? { Range: `bytes=${offset}-` } : {} });
    } catch (err) {
      await retry(`cannot reach ${new URL(url).host}: ${causeOf(err)}`);
      continue;
    }
    const range = parseContentRange(response.headers.get('content-range'));
    if (response.status === 416 && offset > 0) {
      await response.body?.cancel();
      if (range?.total === offset) return { resumed: true }; // the part was complete
      await rm(part, { force: true });
      await retry('the part left by an earlier run does not match the file on the server; starting over');
      continue;
    }
    if (response.status >= 500 || response.status === 429) {
      await response.body?.cancel();
      await retry(`the server answered ${response.status} ${response.statusText}`);
      continue;
    }
    if ((response.status !== 200 && response.status !== 206) || !response.body) {
      await response.body?.cancel();
      throw new InputError({ file: url }, `the server answered ${response.status} ${response.statusText}; expected the file`);
    }
    let received = 0;
    if (response.status === 206) {
      if (range?.start !== offset) {
        await response.body.cancel();
        await rm(part, { force: true });
        await retry(`the server sent bytes from ${range?.start ?? 'an unknown place'}, not from ${offset}; starting over`);
        continue;
      }
      received = offset;
      if (offset > 0 && !resumed) log(`resuming ${basename(url)} from ${bytesText(offset)}`);
      resumed ||= offset > 0;
    } else if (offset > 0) {
      log(`the server does not resume downloads: fetching ${basename(url)} from the start`);
    }
    const length = Number(response.headers.get('content-length'));
    const total = response.status === 206 ? range?.total : Number.isFinite(length) && length > 0 ? length : undefined;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        received += chunk.length;
        progress(received, total);
        done(null, chunk);
      },
    });
    const file = createWriteStream(part, { flags: response.status === 206 ? 'a' : 'w' });
    const before = received;
    try {
      await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), counter, file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== undefined && ['ENOSPC', 'EACCES', 'EROFS', 'EDQUOT', 'EISDIR'].includes(code)) {
        throw new InputError({ file: part }, `cannot write the download: ${code}`);
      }
      if (received > before) failures = 0; // it was moving: a drop, not a dead server
      await retry(`the connection dropped at ${bytesText(received)}${total !== undefined ? ` of ${bytesText(total)}` : ''}`);
      continue;
    }
    if (total !== undefined && received < total) {
      if (received > before) failures = 0;
      await retry(`the server stopped at ${bytesText(received)} of ${bytesText(total)}`);
      continue;
    }
    return { resumed };
  }
}

function parseContentRange(header: string | null): { start?: number; total?: number } | undefined {
  const m = header === null ? null : /^bytes\s+(?:(\d+)-\d+|\*)\/(\d+|\*)$/i.exec(header.trim());
  if (!m) return undefined;
  return { ...(m[1] !== undefined && { start: Number(m[1]) }), ...(m[2] !== '*' && { total: Number(m[2]) }) };
}

function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}

/** A `sha256sum` listing (`HASH  path` or `HASH *path`), kept beside the files. */
async function checksumList(url: string, path: string, log: (line: string) => void): Promise<Map<string, string>> {
  let text: string;
  try {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`the server answered ${response.status} ${response.statusText}`);
    text = await response.text();
  } catch (err) {
    const old = await readFile(path, 'utf8').catch(() => undefined);
    if (old === undefined) throw new InputError({ file: url }, `cannot get the published checksums: ${causeOf(err)}`);
    log(`cannot get ${url} (${causeOf(err)}); using the copy in ${path}`);
    text = old;
  }
  const sums = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]{64})\s+\*?(?:\.\/)?(.+?)\s*$/i.exec(line);
    if (m) sums.set(m[2]!, m[1]!.toLowerCase());
  }
  if (sums.size === 0) throw new InputError({ file: url }, 'holds no checksums: expected lines of a SHA-256 and a file name, as sha256sum writes them');
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
  return sums;
}

async function sha256Of(path: string, progress: (bytes: number) => void): Promise<string> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
    progress(bytes);
  }
  return hash.digest('hex');
}

/** Unpacks a .tar.gz into `out` with the system's tar, unless what it holds is already there. */
async function unpack(
  archive: FetchedFile, out: string, holds: string, fresh: boolean,
  status: (phase: FetchStatus['phase'], bytes: number) => void, log: (line: string) => void,
): Promise<string> {
  const target = join(out, holds);
  if (!fresh && statSync(target, { throwIfNoEntry: false })) return target;
  status('unpack', 0);
  try {
    await new Promise<void>((resolve, reject) => {
      execFile('tar', ['-xzf', archive.path, '-C', out], (err, _stdout, stderr) => (err ? reject(Object.assign(err, { stderr })) : resolve()));
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    const why = e.code === 'ENOENT' ? 'there is no tar command' : (e.stderr ?? '').trim() || e.message;
    throw new InputError({ file: archive.path }, `cannot unpack it (${why}); unpack it by hand: tar -xzf ${archive.path} -C ${out}`);
  }
  if (!statSync(target, { throwIfNoEntry: false })) {
    throw new InputError({ file: archive.path }, `unpacked, but it did not hold ${holds}; see what it holds with tar -tzf ${archive.path}`);
  }
  log(`unpacked ${archive.path} into ${target}`);
  return target;
}

/** 1536 -> "1.5 KB" (powers of 1000, as download sizes are usually given). */
export function bytesText(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = n / 1000, u = 0;
  while (value >= 1000 && u < units.length - 1) {
    value /= 1000;
    u++;
  }
  return `${value.toPrecision(3)} ${units[u]}`;
}
