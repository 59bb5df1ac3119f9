// Units. Inside, time is integer microseconds and resources are integers in base units, so
// that sums and differences are exact over any number of events; files and reports speak
// seconds, cores, GiB and GPUs.
//
//   resource  file unit  base unit     per file unit
//   cpu       cores      millicores    1000
//   memory    GiB        MiB           1024
//   gpu       GPUs       milli-GPUs    1000   (a task may ask for a fraction of a GPU)

export const MICROS_PER_SECOND = 1_000_000;
export const MILLI_PER_CORE = 1000;
export const MIB_PER_GIB = 1024;
export const MILLI_PER_GPU = 1000;

/** Seconds (any finite number) to integer microseconds, rounded to the nearest. */
export function secondsToMicros(seconds: number): number {
  return Math.round(seconds * MICROS_PER_SECOND);
}

/** Integer microseconds to seconds as an exact decimal string ("12.5", "0.000001", "3"). */
export function formatMicros(micros: number): string {
  const negative = micros < 0;
  const abs = Math.abs(micros);
  const whole = Math.floor(abs / MICROS_PER_SECOND);
  const frac = abs - whole * MICROS_PER_SECOND;
  let text = String(whole);
  if (frac !== 0) text += '.' + String(frac).padStart(6, '0').replace(/0+$/, '');
  return negative ? '-' + text : text;
}

/**
 * A request in file units to base units. Rounds to the nearest base unit, but never turns a
 * positive request into zero: a task that asks for something always occupies something.
 */
export function toBase(value: number, perUnit: number): number {
  if (value === 0) return 0;
  return Math.max(1, Math.round(value * perUnit));
}

/** A capacity in file units to base units (nearest; a capacity may round to zero). */
export function capacityToBase(value: number, perUnit: number): number {
  return Math.round(value * perUnit);
}

export const cores = (millicores: number): number => millicores / MILLI_PER_CORE;
export const gib = (mib: number): number => mib / MIB_PER_GIB;
export const gpus = (milli: number): number => milli / MILLI_PER_GPU;
export const seconds = (micros: number): number => micros / MICROS_PER_SECOND;
