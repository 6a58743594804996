// Coalesced queries (demo/latest.ts): one at a time, and of the requests made meanwhile only the
// newest is sent; a failing query is reported and the next one still runs.
import { describe, expect, it } from 'vitest';
import { Latest } from '../../demo/latest';

describe('latest-wins queries', () => {
  it('runs the first at once, then only the newest of those asked meanwhile', async () => {
    const ran: number[] = [];
    const failed: unknown[] = [];
    let release: () => void = () => {};
    const q = new Latest<number>(async (n) => {
      ran.push(n);
      if (n === 5) throw new Error('five');
      await new Promise<void>((r) => { release = r; });
    }, (e) => failed.push(e));
    q.ask(1);
    for (const n of [2, 3, 4]) q.ask(n);
    expect(ran).toEqual([1]);
    release();
    await new Promise((r) => setTimeout(r, 0));
    expect(ran).toEqual([1, 4]);
    q.ask(5);
    q.ask(6);
    release();
    await new Promise((r) => setTimeout(r, 0));
    expect(ran).toEqual([1, 4, 6]);
    q.ask(5);
    q.ask(7);
    release();
    await new Promise((r) => setTimeout(r, 0));
    expect(ran).toEqual([1, 4, 6, 7]);
    release();
    await new Promise((r) => setTimeout(r, 0));
    q.ask(5);
    await new Promise((r) => setTimeout(r, 0));
    q.ask(8);
    await new Promise((r) => setTimeout(r, 0));
    expect(ran).toEqual([1, 4, 6, 7, 5, 8]);
    expect(failed.map((e) => (e as Error).message)).toEqual(['five']);
    release();
  });
});
