import { describe, expect, it } from 'vitest';
import { deleteInBatches } from '../../src/lib/index.js';

/** A fake table of `rows` rows; each batch deletes up to its size. */
function table(rows: number) {
  const calls: number[] = [];
  let left = rows;
  const deleteBatch = (size: number) => {
    calls.push(size);
    const n = Math.min(size, left);
    left -= n;
    return Promise.resolve(n);
  };
  return { calls, deleteBatch, left: () => left };
}

describe('deleteInBatches', () => {
  it('stops at the first batch smaller than the batch size', async () => {
    const t = table(25);
    expect(await deleteInBatches(t.deleteBatch, { batchSize: 10 })).toBe(25);
    expect(t.calls).toEqual([10, 10, 10]);
  });

  it('runs at most maxBatches; the next call continues', async () => {
    const t = table(50);
    expect(await deleteInBatches(t.deleteBatch, { batchSize: 10, maxBatches: 2 })).toBe(20);
    expect(t.left()).toBe(30);
    expect(await deleteInBatches(t.deleteBatch, { batchSize: 10, maxBatches: 10 })).toBe(30);
  });

  it('defaults to batches of 1000, and an empty table costs one query', async () => {
    const t = table(0);
    expect(await deleteInBatches(t.deleteBatch)).toBe(0);
    expect(t.calls).toEqual([1000]);
  });
});
