import { describe, expect, it } from 'vitest';
import { Closers } from '../../src/lib/index.js';

describe('Closers', () => {
  it('closes in reverse order, once, even when called twice', async () => {
    const order: string[] = [];
    const closers = new Closers();
    closers.add(() => {
      order.push('db');
    });
    closers.add(async () => {
      await Promise.resolve();
      order.push('timers');
    });
    await Promise.all([closers.close(), closers.close()]);
    expect(order).toEqual(['timers', 'db']);
  });

  it('goes on past a failing closer and throws what failed at the end', async () => {
    const order: string[] = [];
    const closers = new Closers();
    closers.add(() => {
      order.push('first');
    });
    closers.add(() => {
      throw new Error('second failed');
    });
    closers.add(() => {
      order.push('third');
    });
    await expect(closers.close()).rejects.toThrow('second failed');
    expect(order).toEqual(['third', 'first']);
  });

  it('keeps every error when several fail', async () => {
    const closers = new Closers();
    closers.add(() => Promise.reject(new Error('a')));
    closers.add(() => Promise.reject(new Error('b')));
    const err: unknown = await closers.close().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AggregateError);
    expect((err as AggregateError).errors.map((e: Error) => e.message)).toEqual(['b', 'a']);
  });
});
