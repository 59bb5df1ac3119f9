// Statistics over seeds: means with 95 % confidence intervals from Student's t, and paired
// differences between policies (every policy sees the same seeds, so the difference is taken
// seed by seed, which removes the workload's own variation from the comparison).

/** Two-sided 95 % quantiles of Student's t, t(0.975, df), for df = 1…30. */
const T975 = [
  12.706204736, 4.30265273, 3.182446305, 2.776445105, 2.570581836, 2.446911851, 2.364624252, 2.306004135, 2.262157163, 2.228138852,
  2.20098516, 2.17881283, 2.160368656, 2.144786688, 2.131449546, 2.119905299, 2.109815578, 2.10092204, 2.093024054, 2.085963447,
  2.079613845, 2.073873068, 2.06865761, 2.063898562, 2.059538553, 2.055529439, 2.051830516, 2.048407142, 2.045229642, 2.042272456,
];
const Z975 = 1.959963984540054;

/** t(0.975, df): from the table up to 30 degrees of freedom, beyond by the Cornish-Fisher expansion (within 1e-6). */
export function tQuantile975(df: number): number {
  if (!(Number.isInteger(df) && df >= 1)) throw new RangeError(`degrees of freedom must be a whole number >= 1, got ${df}`);
  if (df <= T975.length) return T975[df - 1]!;
  const z = Z975, z2 = z * z;
  const g1 = (z2 + 1) * z / 4;
  const g2 = ((5 * z2 + 16) * z2 + 3) * z / 96;
  const g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384;
  const g4 = ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92160;
  return z + g1 / df + g2 / df ** 2 + g3 / df ** 3 + g4 / df ** 4;
}

/** A mean over seeds; the interval is null with fewer than two values (it cannot be estimated). */
export interface Estimate {
  readonly n: number;
  readonly mean: number;
  /** Sample standard deviation (n - 1); null below two values. */
  readonly sd: number | null;
  /** Half-width of the 95 % confidence interval; null below two values. */
  readonly halfWidth: number | null;
  readonly low: number | null;
  readonly high: number | null;
}

export function estimate(values: readonly number[]): Estimate {
  const n = values.length;
  if (n === 0) throw new RangeError('no values to estimate from');
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { n, mean, sd: null, halfWidth: null, low: null, high: null };
  const sd = Math.sqrt(values.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
  const halfWidth = (tQuantile975(n - 1) * sd) / Math.sqrt(n);
  return { n, mean, sd, halfWidth, low: mean - halfWidth, high: mean + halfWidth };
}

/** A policy against the baseline, seed by seed. */
export interface Difference {
  /** Mean of (policy - baseline) over seeds, with its interval. */
  readonly absolute: Estimate;
  /** The same, over the baseline's mean (null when that is 0): a share, 0.1 for +10 %. */
  readonly relative: { readonly mean: number; readonly low: number | null; readonly high: number | null } | null;
  /** Whether the interval excludes 0 (false without an interval). */
  readonly significant: boolean;
}

/** Paired difference of `values` against `baseline`, both in the same seed order. */
export function pairedDifference(values: readonly number[], baseline: readonly number[]): Difference {
  if (values.length !== baseline.length) throw new RangeError(`paired values differ in number: ${values.length} and ${baseline.length}`);
  const absolute = estimate(values.map((v, i) => v - baseline[i]!));
  const base = estimate(baseline).mean;
  const relative = base === 0 ? null : {
    mean: absolute.mean / Math.abs(base),
    low: absolute.low === null ? null : absolute.low / Math.abs(base),
    high: absolute.high === null ? null : absolute.high / Math.abs(base),
  };
  const significant = absolute.low !== null && absolute.high !== null && (absolute.low > 0 || absolute.high < 0);
  return { absolute, relative, significant };
}
