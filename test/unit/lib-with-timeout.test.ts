import { describe, expect, it } from 'vitest';
import { withTimeout } from '../../src/lib/index.js';

describe('withTimeout', () => {
  it('answers with the work when it settles in time', async () => {
    await expect(withTimeout(Promise.resolve(7), 1000, () => new Error('late'))).resolves.toBe(7);
    await expect(
      withTimeout(Promise.reject(new Error('failed')), 1000, () => new Error('late')),
    ).rejects.toThrow('failed');
  });

  it('rejects with the timeout error when the work takes too long, and forgets a late rejection', async () => {
    let fail: (err: Error) => void = () => undefined;
    const work = new Promise<number>((_, reject) => {
      fail = reject;
    });
    await expect(withTimeout(work, 5, () => new Error('late'))).rejects.toThrow('late');
    fail(new Error('too late to matter')); // no unhandled rejection
    await new Promise((r) => setTimeout(r, 1));
  });
});
