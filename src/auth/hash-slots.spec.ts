import { HashSlots } from './hash-slots';

describe('HashSlots', () => {
  it('runs at most `size` tasks at once, all of them eventually, errors passed on', async () => {
    const slots = new HashSlots(2);
    let running = 0;
    let most = 0;
    const task = (i: number) => async (): Promise<number> => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      if (i === 3) throw new Error('boom');
      return i;
    };
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => slots.run(task(i))));
    expect(most).toBe(2);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(9);
    expect(await slots.run(() => Promise.resolve('after'))).toBe('after');
  });
});
