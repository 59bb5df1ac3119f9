// The native format's text forms of a task's placement rules, one column each (CSV fields, or
// JSON Lines strings). A column holds a list of items separated by `;` (blanks around items are
// ignored):
//
//   constraints    zone==a;gen>=2;gpu-model in V100,A100;ssd exists;spot missing
//                  LABEL OP VALUE with OP one of == != < <= > >= (ordered ones take a number),
//                  `LABEL in V1,V2,…`, `LABEL exists`, `LABEL missing`;
//   tolerations    dedicated=gpu:NoSchedule;spot;*:PreferNoSchedule
//                  KEY=VALUE (Equal) or KEY (Exists), or `*` (Exists, any key), each optionally
//                  followed by :NoSchedule or :PreferNoSchedule (else it tolerates both);
//   affinity,      cache@node;web@zone?10;shop/db@node;billing/*@zone
//   antiAffinity   TARGET@SCOPE, required; followed by `?` (weight 1) or `?W` (weight 1-100),
//                  preferred. TARGET: GROUP (of the task's own job), JOB/GROUP, JOB/* (every task
//                  of the job), * (every task of the task's own job); SCOPE: `node` or a label;
//   spread         zone:1;node:2?
//                  LABEL:MAXSKEW (a whole number >= 1), hard; followed by `?`, soft.
//
// Names and values may hold any character: the writer escapes `%` and the characters these forms
// use (; , = ! < > @ / : ? * and blanks) as `%` and two hex digits, and the reader unescapes them.

import type { AffinityRule, Constraint, SpreadRule, TaintEffect, TaskSelector, Toleration } from './record.ts';
import { TAINT_EFFECTS } from './record.ts';

/** A malformed column: the reader adds the file, the line and the column. */
export class TextFormError extends Error {}

const SPECIAL = /[%;,=!<>@/:?*\s]/g;

export function escapeName(text: string): string {
  return text.replace(SPECIAL, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`);
}

function unescapeName(text: string, what: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    throw new TextFormError(`${what} ${JSON.stringify(text)} has a bad %-escape (expected % and two hex digits)`);
  }
}

function items(text: string): string[] {
  return text.split(';').map((s) => s.trim()).filter((s) => s !== '');
}

// ---- constraints ----

const ORDERED = new Set(['<', '<=', '>', '>=']);
const SYMBOLIC = /^([^\s=!<>]+)\s*(==|!=|<=|>=|<|>)\s*([^\s=!<>]*)$/;
const CONSTRAINT_HELP = 'expected LABEL OP VALUE (OP one of == != < <= > >=), "LABEL in A,B", "LABEL exists" or "LABEL missing"';

export function parseConstraints(text: string): Constraint[] {
  return items(text).map((item) => {
    const words = item.split(/\s+/);
    if (words.length === 2 && (words[1] === 'exists' || words[1] === 'missing')) {
      return { label: unescapeName(words[0]!, 'label'), op: words[1], value: '' };
    }
    if (words.length === 3 && words[1] === 'in') {
      const values = words[2]!.split(',').filter((v) => v !== '').map((v) => unescapeName(v, 'value'));
      if (values.length === 0) throw new TextFormError(`${JSON.stringify(item)}: expected values after "in", separated by commas`);
      return { label: unescapeName(words[0]!, 'label'), op: 'in', value: values[0]!, values };
    }
    const m = SYMBOLIC.exec(item);
    if (!m) throw new TextFormError(`${CONSTRAINT_HELP}; got ${JSON.stringify(item)}`);
    const op = m[2] as Constraint['op'];
    const value = unescapeName(m[3]!, 'value');
    if (ORDERED.has(op) && !(value !== '' && Number.isFinite(Number(value)))) {
      throw new TextFormError(`${JSON.stringify(item)}: ${op} compares numbers; expected a number after it`);
    }
    return { label: unescapeName(m[1]!, 'label'), op, value };
  });
}

export function formatConstraints(constraints: readonly Constraint[]): string {
  return constraints.map((c) => {
    const label = escapeName(c.label);
    switch (c.op) {
      case 'exists':
      case 'missing': return `${label} ${c.op}`;
      case 'in': return `${label} in ${(c.values ?? [c.value]).map(escapeName).join(',')}`;
      default: return `${label}${c.op}${escapeName(c.value)}`;
    }
  }).join(';');
}

// ---- tolerations ----

const TOLERATION = /^([^=:]+)(?:=([^:]*))?(?::([^:]*))?$/;

export function parseTolerations(text: string): Toleration[] {
  return items(text).map((item) => {
    const m = TOLERATION.exec(item);
    const help = 'expected KEY=VALUE, KEY or *, optionally followed by :NoSchedule or :PreferNoSchedule';
    if (!m) throw new TextFormError(`${help}; got ${JSON.stringify(item)}`);
    const [, rawKey, rawValue, rawEffect] = m;
    if (rawEffect !== undefined && !TAINT_EFFECTS.includes(rawEffect as TaintEffect)) {
      throw new TextFormError(`${JSON.stringify(item)}: expected the effect NoSchedule or PreferNoSchedule after ":"; got ${JSON.stringify(rawEffect)}`);
    }
    const effect = rawEffect === undefined ? {} : { effect: rawEffect as TaintEffect };
    if (rawKey!.trim() === '*') {
      if (rawValue !== undefined) throw new TextFormError(`${JSON.stringify(item)}: * (any key) takes no value`);
      return { key: '', operator: 'Exists', ...effect };
    }
    const key = unescapeName(rawKey!.trim(), 'key');
    return rawValue === undefined
      ? { key, operator: 'Exists', ...effect }
      : { key, operator: 'Equal', value: unescapeName(rawValue.trim(), 'value'), ...effect };
  });
}

export function formatTolerations(tolerations: readonly Toleration[]): string {
  return tolerations.map((t) => {
    const key = t.key === '' ? '*' : escapeName(t.key);
    const body = t.operator === 'Equal' ? `${key}=${escapeName(t.value ?? '')}` : key;
    return t.effect === undefined ? body : `${body}:${t.effect}`;
  }).join(';');
}

// ---- affinity, anti-affinity ----

const AFFINITY = /^([^@?]+)@([^@?]+)(\?(\d+)?)?$/;

export function parseAffinity(text: string): AffinityRule[] {
  return items(text).map((item) => {
    const m = AFFINITY.exec(item);
    if (!m) throw new TextFormError(`expected TARGET@SCOPE (TARGET: GROUP, JOB/GROUP, JOB/* or *; SCOPE: node or a label), optionally followed by ? or ?WEIGHT; got ${JSON.stringify(item)}`);
    const [, target, scope, preferred, weight] = m;
    const rule = { to: parseTarget(target!.trim(), item), scope: unescapeName(scope!.trim(), 'scope'), required: preferred === undefined };
    if (weight === undefined) return rule;
    const w = Number(weight);
    if (!(w >= 1 && w <= 100)) throw new TextFormError(`${JSON.stringify(item)}: a preferred rule's weight is a whole number from 1 to 100; got ${weight}`);
    return { ...rule, weight: w };
  });
}

function parseTarget(target: string, item: string): TaskSelector {
  const parts = target.split('/');
  if (parts.length > 2 || parts.some((p) => p === '')) {
    throw new TextFormError(`${JSON.stringify(item)}: expected the target GROUP, JOB/GROUP, JOB/* or * (escape a / in a name as %2F)`);
  }
  const group = parts[parts.length - 1] === '*' ? {} : { group: unescapeName(parts[parts.length - 1]!, 'group') };
  return parts.length === 2 ? { job: unescapeName(parts[0]!, 'job'), ...group } : group;
}

export function formatAffinity(rules: readonly AffinityRule[]): string {
  return rules.map((r) => {
    const group = r.to.group === undefined ? '*' : escapeName(r.to.group);
    const target = r.to.job === undefined ? group : `${escapeName(r.to.job)}/${group}`;
    const preference = r.required ? '' : r.weight === undefined || r.weight === 1 ? '?' : `?${r.weight}`;
    return `${target}@${escapeName(r.scope)}${preference}`;
  }).join(';');
}

// ---- spread ----

const SPREAD = /^([^:?]+):(\d+)(\?)?$/;

export function parseSpread(text: string): SpreadRule[] {
  return items(text).map((item) => {
    const m = SPREAD.exec(item);
    if (!m) throw new TextFormError(`expected LABEL:MAXSKEW (a whole number >= 1), followed by ? when soft; got ${JSON.stringify(item)}`);
    const maxSkew = Number(m[2]);
    if (maxSkew < 1) throw new TextFormError(`${JSON.stringify(item)}: maxSkew is at least 1`);
    return { label: unescapeName(m[1]!.trim(), 'label'), maxSkew, hard: m[3] === undefined };
  });
}

export function formatSpread(rules: readonly SpreadRule[]): string {
  return rules.map((s) => `${escapeName(s.label)}:${s.maxSkew}${s.hard ? '' : '?'}`).join(';');
}
