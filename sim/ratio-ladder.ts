// The ladder of memory-per-core ratios behind the indexes' joint cpu-memory tests.
//
// A node that fits a request (c, m) has min(free cpu · ρ, free memory) >= min(c · ρ, m) for
// every ratio ρ, so a range of nodes whose largest min(free cpu · ρ, free memory) is short of
// the request's holds no fit, even when one node has the cpu and another the memory. At the
// request's own ratio the test is exact; the two rungs around it (a factor 2 apart) make it
// tight.

import { MIB_PER_GIB, MILLI_PER_CORE } from './units.ts';

/** The ratios (GiB per core), in base units: MiB per millicore. */
export const RATIOS = [0.25, 0.5, 1, 2, 4, 8, 16, 32].map((gibPerCore) => (gibPerCore * MIB_PER_GIB) / MILLI_PER_CORE);
export const RUNGS = RATIOS.length;

/**
 * The first rung at or above the request's memory per core (RUNGS when above them all), or -1
 * when the request lacks cpu or memory and the joint tests say nothing.
 */
export function rungAbove(cpu: number, mem: number): number {
  if (!(cpu > 0 && mem > 0)) return -1;
  const ratio = mem / cpu;
  let high = 0;
  while (high < RUNGS && RATIOS[high]! < ratio) high++;
  return high;
}

/** A node's (or a request's) value on rung k: min(free cpu · ρk, free memory). */
export function onRung(k: number, cpu: number, mem: number): number {
  const a = cpu * RATIOS[k]!;
  return a < mem ? a : mem;
}
