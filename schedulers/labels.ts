// Task constraints on node labels, as traces state them: Google's task constraints (equal, not
// equal, ordered, present, not present) and the GPU models a task accepts. A node without the
// label fails every constraint but `!=` and `missing`; ordered ones compare values as numbers.

import type { Constraint } from './contract.ts';

export function satisfies(labels: Readonly<Record<string, string>>, c: Constraint): boolean {
  const value = labels[c.label];
  switch (c.op) {
    case '==': return value === c.value;
    case '!=': return value !== c.value;
    case '<': return value !== undefined && Number(value) < Number(c.value);
    case '<=': return value !== undefined && Number(value) <= Number(c.value);
    case '>': return value !== undefined && Number(value) > Number(c.value);
    case '>=': return value !== undefined && Number(value) >= Number(c.value);
    case 'in': return value !== undefined && (c.values ?? [c.value]).includes(value);
    case 'exists': return value !== undefined;
    case 'missing': return value === undefined;
  }
}

export function satisfiesAll(labels: Readonly<Record<string, string>>, constraints: readonly Constraint[]): boolean {
  for (const c of constraints) if (!satisfies(labels, c)) return false;
  return true;
}
