// Score arithmetic shared by the scorers and by the cluster's index, so that the indexed query
// and a scan of every node rank nodes identically. Scores are on 0-100.

/**
 * Scores closer than this are ties. Exact scores built from integer amounts differ by far more
 * (at least 1e-5 on nodes below 10^7 units), so this only absorbs floating-point noise.
 */
export const SCORE_EPSILON = 1e-9;

/** Does (score, node) beat the best so far? Higher score wins; a tie goes to the lower node. */
export function beats(score: number, node: number, bestScore: number, bestNode: number): boolean {
  if (score > bestScore + SCORE_EPSILON) return true;
  return score >= bestScore - SCORE_EPSILON && node < bestNode;
}

/** alloc / cap, or 0 for a resource the node does not have. */
export function fraction(alloc: number, cap: number): number {
  return cap > 0 ? alloc / cap : 0;
}

/**
 * MostAllocated: the mean over cpu and memory of the share allocated once the request is
 * placed, times 100 (Kubernetes' NodeResourcesFit MostAllocated with weights cpu 1, memory 1,
 * without its integer rounding). GPUs are a filter, not a score.
 */
export function mostAllocatedScore(
  allocCpu: number, capCpu: number, allocMem: number, capMem: number, reqCpu: number, reqMem: number,
): number {
  return 50 * (fraction(allocCpu + reqCpu, capCpu) + fraction(allocMem + reqMem, capMem));
}

/** LeastAllocated: 100 minus MostAllocated, so the emptiest node scores highest. */
export function leastAllocatedScore(
  allocCpu: number, capCpu: number, allocMem: number, capMem: number, reqCpu: number, reqMem: number,
): number {
  return 100 - mostAllocatedScore(allocCpu, capCpu, allocMem, capMem, reqCpu, reqMem);
}
