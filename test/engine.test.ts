import { describe, expect, it } from 'vitest';
import { Engine, MAX_EVENT_TIME } from '../sim/engine.ts';
import { stream } from '../sim/random.ts';

function recorder() {
  const seen: [number, number, number][] = [];
  const engine = new Engine((cls, payload, now) => seen.push([now, cls, payload]), 16);
  return { engine, seen };
}

describe('Engine', () => {
  it('pops by time, then class, then the order events were scheduled', () => {
    const { engine, seen } = recorder();
    engine.schedule(10, 2, 1);
    engine.schedule(10, 0, 2);
    engine.schedule(5, 9, 3);
    engine.schedule(10, 0, 4);
    engine.schedule(10, 1, 5);
    engine.run();
    expect(seen).toEqual([[5, 9, 3], [10, 0, 2], [10, 0, 4], [10, 1, 5], [10, 2, 1]]);
  });

  it('keeps that order for many events, across growth of its arrays', () => {
    const { engine, seen } = recorder();
    const random = stream(7, 'engine-test');
    const expected: [number, number, number][] = [];
    for (let i = 0; i < 5000; i++) {
      const e: [number, number, number] = [Math.floor(random() * 50), Math.floor(random() * 4), i];
      expected.push(e);
      engine.schedule(e[0], e[1], e[2]);
    }
    engine.run();
    expected.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
    expect(seen).toEqual(expected);
  });

  it('keeps that order when handlers schedule enough events to grow its arrays mid-run', () => {
    const random = stream(9, 'engine-growth');
    const seen: [number, number, number][] = [];
    const all: [number, number, number][] = [];
    let next = 0;
    const engine: Engine = new Engine((cls, payload, now) => {
      seen.push([now, cls, payload]);
      if (payload < 3) {
        // Each of the first events schedules many more, far beyond the initial capacity.
        for (let i = 0; i < 200; i++) {
          const e: [number, number, number] = [now + Math.floor(random() * 100), Math.floor(random() * 4), 100 + next++];
          all.push(e);
          engine.schedule(e[0], e[1], e[2]);
        }
      }
    }, 16);
    for (let p = 0; p < 3; p++) {
      all.push([p, 0, p]);
      engine.schedule(p, 0, p);
    }
    engine.run();
    // The reference: every event in (time, class, order scheduled) order. Events scheduled by a
    // handler are later in the sequence than all scheduled before it.
    const order = new Map(all.map((e, i) => [e[2], i]));
    const expected = [...all].sort((a, b) => a[0] - b[0] || a[1] - b[1] || order.get(a[2])! - order.get(b[2])!);
    expect(seen).toEqual(expected);
  });

  it('runs up to and including `until`, and runBefore stops short of it', () => {
    const { engine, seen } = recorder();
    for (const t of [1, 2, 3, 3, 4]) engine.schedule(t, 0, t);
    expect(engine.runBefore(3)).toBe(2);
    expect(engine.now).toBe(2);
    expect(engine.run(3)).toBe(2);
    expect(seen.map((e) => e[0])).toEqual([1, 2, 3, 3]);
    expect(engine.peekTime()).toBe(4);
    engine.run();
    expect(engine.size).toBe(0);
    expect(engine.dispatched).toBe(5);
  });

  it('lets a handler schedule events at the current instant, which run in class order', () => {
    const seen: string[] = [];
    const engine: Engine = new Engine((cls, payload, now) => {
      seen.push(`${now}:${cls}:${payload}`);
      if (payload === 1) {
        engine.schedule(now, 0, 10);
        engine.schedule(now, 3, 11);
      }
    });
    engine.schedule(5, 1, 1);
    engine.schedule(5, 2, 2);
    engine.run();
    expect(seen).toEqual(['5:1:1', '5:0:10', '5:2:2', '5:3:11']);
  });

  it('never dispatches a cancelled event', () => {
    const { engine, seen } = recorder();
    const a = engine.schedule(1, 0, 1);
    engine.schedule(2, 0, 2);
    expect(engine.cancel(a)).toBe(true);
    expect(engine.cancel(a)).toBe(false);
    expect(engine.peekTime()).toBe(2);
    engine.run();
    expect(seen).toEqual([[2, 0, 2]]);
  });

  it('agrees with a sorted list under random scheduling, cancelling and running, across growth', () => {
    const random = stream(11, 'engine-model');
    const seen: [number, number, number][] = [];
    const engine = new Engine((cls, payload, now) => seen.push([now, cls, payload]), 16);
    // The model: every event waiting, with the order it was scheduled in.
    let waiting: { time: number; cls: number; payload: number; order: number; id: number }[] = [];
    const expected: [number, number, number][] = [];
    let order = 0;
    const take = (until: number) => {
      waiting.sort((a, b) => a.time - b.time || a.cls - b.cls || a.order - b.order);
      const due = waiting.filter((e) => e.time <= until);
      waiting = waiting.filter((e) => e.time > until);
      for (const e of due) expected.push([e.time, e.cls, e.payload]);
    };
    for (let step = 0; step < 3000; step++) {
      const r = random();
      if (r < 0.6) {
        const time = engine.now + Math.floor(random() * 40);
        const cls = Math.floor(random() * 4);
        const id = engine.schedule(time, cls, step);
        waiting.push({ time, cls, payload: step, order: order++, id });
      } else if (r < 0.75 && waiting.length > 0) {
        const victim = waiting.splice(Math.floor(random() * waiting.length), 1)[0]!;
        expect(engine.cancel(victim.id as never)).toBe(true);
      } else {
        const until = engine.now + Math.floor(random() * 20);
        take(until);
        engine.run(until);
      }
    }
    take(Infinity);
    engine.run();
    expect(seen).toEqual(expected);
    expect(engine.size).toBe(0);
  });

  it('refuses times in the past, fractional times and classes out of range', () => {
    const { engine } = recorder();
    engine.schedule(10, 0, 0);
    engine.run();
    expect(() => engine.schedule(9, 0, 0)).toThrow(/from now \(10\)/);
    expect(() => engine.schedule(10.5, 0, 0)).toThrow(/integer/);
    expect(() => engine.schedule(11, 16, 0)).toThrow(/class/);
    expect(() => engine.schedule(MAX_EVENT_TIME + 1, 0, 0)).toThrow(/to \d+/);
    engine.schedule(MAX_EVENT_TIME, 15, 7);
    expect(engine.peekTime()).toBe(MAX_EVENT_TIME);
    expect(() => engine.schedule(NaN, 0, 0)).toThrow(RangeError);
  });
});
