import { describe, expect, it } from 'vitest';
import { Lockstep } from './lockstep.js';

const tick = () => new Promise((r) => setTimeout(r, 1));

/** Each participant asks for `turns` turns one after another, then leaves; returns the order run. */
async function play(names: string[], turns: Record<string, number>, lockstep = new Lockstep(names)) {
  const ran: string[] = [];
  let inside = 0;
  let overlapped = false;
  await Promise.all(
    names.map(async (name) => {
      try {
        for (let i = 0; i < turns[name]!; i++) {
          await lockstep.turn(name, async () => {
            overlapped ||= inside++ > 0;
            ran.push(name);
            await tick();
            inside--;
          });
          // Work between two turns (logging, bookkeeping) does not lose this one its place.
          await tick();
        }
      } finally {
        lockstep.leave(name);
      }
    }),
  );
  return { ran, overlapped };
}

describe('Lockstep', () => {
  it('runs one turn at a time, round-robin, in the given order', async () => {
    const { ran, overlapped } = await play(['a', 'b', 'c'], { a: 2, b: 2, c: 2 });
    expect(ran).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
    expect(overlapped).toBe(false);
  });

  it('goes on without those that left: a short climb does not hold up the long ones', async () => {
    const { ran } = await play(['a', 'b', 'c'], { a: 1, b: 3, c: 2 });
    expect(ran).toEqual(['a', 'b', 'c', 'b', 'c', 'b']);
  });

  it('passes the turn on when a participant fails during its turn', async () => {
    const lockstep = new Lockstep(['a', 'b']);
    const ran: string[] = [];
    const a = (async () => {
      try {
        await lockstep.turn('a', () => Promise.reject(new Error('target crashed')));
      } finally {
        lockstep.leave('a');
      }
    })();
    const b = (async () => {
      for (let i = 0; i < 2; i++) await lockstep.turn('b', async () => void ran.push('b'));
      lockstep.leave('b');
    })();
    await expect(a).rejects.toThrow('target crashed');
    await b;
    expect(ran).toEqual(['b', 'b']);
  });

  it('refuses a name outside the rotation', async () => {
    await expect(new Lockstep(['a']).turn('z', async () => 1)).rejects.toThrow('not in the rotation');
  });
});
