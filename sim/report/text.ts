// Numbers and sentences for the comparison's table and conclusions, shared by the terminal and
// the report.

import type { ComparisonResults, Measure, Row } from './results.ts';
import type { Difference, Estimate } from './stats.ts';

/** A number to 3 significant digits, with thousands separators and no exponent. */
export function num(x: number): string {
  if (x === 0) return '0';
  const abs = Math.abs(x);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : Math.min(6, 2 - Math.floor(Math.log10(abs)));
  return x.toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: digits });
}

const signed = (x: number, text: string): string => (x > 0 ? `+${text}` : x < 0 ? `−${text.replace(/^-/, '')}` : text);

/** "12.3 ± 0.4", or "12.3" and a note when there is no interval. */
export function estimateText(e: Estimate): string {
  return e.halfWidth === null ? num(e.mean) : `${num(e.mean)} ± ${num(e.halfWidth)}`;
}

/** "+16.7 % ± 0.8" relative to the baseline's mean, or absolute when the baseline is 0. */
export function differenceText(d: Difference): string {
  if (d.relative) {
    const hw = d.relative.high === null ? null : (d.relative.high - d.relative.low!) / 2;
    return `${signed(d.relative.mean, `${num(Math.abs(100 * d.relative.mean))} %`)}${hw === null ? '' : ` ± ${num(100 * hw)}`}`;
  }
  const a = d.absolute;
  return `${signed(a.mean, num(Math.abs(a.mean)))}${a.halfWidth === null ? '' : ` ± ${num(a.halfWidth)}`}`;
}

export const measureTitle = (m: Measure): string => (m.unit === '' ? m.label : `${m.label} (${m.unit})`);

/**
 * The policies with the best mean on a measure (several when tied); none when the measure has
 * no direction or every policy ties.
 */
export function best(row: Row): string[] {
  if (row.measure.better === 'neither') return [];
  const means = row.cells.map((c) => c.estimate.mean);
  const top = row.measure.better === 'lower' ? Math.min(...means) : Math.max(...means);
  const winners = row.cells.filter((c) => c.estimate.mean === top).map((c) => c.policy);
  return winners.length === row.cells.length ? [] : winners;
}

/** One sentence per measure: each policy's mean, and how the others differ from the first. */
export function conclusion(results: ComparisonResults, row: Row): string {
  const [first, ...others] = row.cells;
  if (!first) return '';
  const parts = others.map((c) => {
    const d = c.difference!;
    const verdict = results.seeds.length < 2 ? '' : d.significant ? '' : ', not distinguishable at 95 %';
    return `${c.policy} ${num(c.estimate.mean)} (${differenceText(d)}${verdict})`;
  });
  const b = best(row);
  const lead = b.length === 0 ? '' : ` Best mean: ${b.join(', ')}.`;
  return `${measureTitle(row.measure)}: ${first.policy} ${num(first.estimate.mean)}; ${parts.join('; ')}.${lead}`;
}
