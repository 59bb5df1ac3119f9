// Hashes that decide whether a sweep's cell must run: canonical JSON (object keys sorted, so
// the same data always gives the same text), the contents of input files (remembered by path,
// size and modification time, so a restarted sweep does not read a large trace again), and
// berth's own code (a cell computed by other code is not the same cell).

import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, readdirSync, statSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT, VERSION } from '../version.ts';

/** JSON with object keys in sorted order at every depth. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]));
  });
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

interface Remembered {
  readonly size: number;
  readonly mtimeMs: number;
  readonly sha256: string;
}

/**
 * SHA-256 of files' contents. What was hashed is remembered in `memoFile` (when given) by
 * absolute path, size and modification time, as the trace cache does.
 */
export class FileHasher {
  private memo = new Map<string, Remembered>();
  private changed = false;

  private constructor(private readonly memoFile: string | undefined) {}

  static async open(memoFile?: string): Promise<FileHasher> {
    const hasher = new FileHasher(memoFile);
    if (memoFile !== undefined) {
      try {
        const entries = JSON.parse(await readFile(memoFile, 'utf8')) as Record<string, Remembered>;
        hasher.memo = new Map(Object.entries(entries));
      } catch {
        // Absent or unreadable: every file is hashed again.
      }
    }
    return hasher;
  }

  async hash(path: string): Promise<string> {
    const stat = statSync(path);
    const known = this.memo.get(path);
    if (known && known.size === stat.size && known.mtimeMs === stat.mtimeMs) return known.sha256;
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
    const sha256 = hash.digest('hex');
    this.memo.set(path, { size: stat.size, mtimeMs: stat.mtimeMs, sha256 });
    this.changed = true;
    return sha256;
  }

  /** Writes the memo (atomically: shards sharing a folder may write it at once; the last one wins). */
  async save(): Promise<void> {
    if (this.memoFile === undefined || !this.changed) return;
    const temp = `${this.memoFile}.partial-${process.pid}-${Math.random().toString(36).slice(2)}`;
    await writeFile(temp, JSON.stringify(Object.fromEntries(this.memo), null, 1) + '\n');
    await rename(temp, this.memoFile);
  }
}

let fingerprint: string | undefined;

/** Code under sim/ that reads results but does not make them: editing it reruns nothing. */
const NOT_SIMULATION = ['report/', 'sweep/', 'compare.ts'];

/**
 * Berth's version and a hash of its simulation code (the TypeScript under sim/, schedulers/ and
 * traces/, but for the reports and the sweep itself): a cell's result depends on both. Editing
 * a policy, even without a new version, makes every cell run again.
 */
export function codeFingerprint(): string {
  if (fingerprint !== undefined) return fingerprint;
  const root = fileURLToPath(PROJECT_ROOT);
  const hash = createHash('sha256');
  for (const dir of ['sim', 'schedulers', 'traces']) {
    let entries: string[];
    try {
      entries = (readdirSync(join(root, dir), { recursive: true }) as string[])
        .map((e) => e.split(sep).join('/'))
        .filter((e) => /\.[cm]?ts$/.test(e) && !(dir === 'sim' && NOT_SIMULATION.some((p) => e.startsWith(p))))
        .sort();
    } catch {
      continue;
    }
    for (const entry of entries) {
      const path = join(root, dir, ...entry.split('/'));
      if (!statSync(path).isFile()) continue;
      hash.update(relative(root, path).split(sep).join('/')).update('\0').update(readFileSync(path)).update('\0');
    }
  }
  fingerprint = `${VERSION}+${hash.digest('hex').slice(0, 16)}`;
  return fingerprint;
}
