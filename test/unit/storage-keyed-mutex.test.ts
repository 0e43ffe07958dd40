import { describe, expect, it } from 'vitest';
import { KeyedMutex } from '../../src/storage/keyed-mutex.js';

// One turn of the event loop: whatever else is waiting gets its chance to run.
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyedMutex', () => {
  it('runs holders of one key one at a time, in arrival order', async () => {
    const m = new KeyedMutex();
    const log: string[] = [];
    const job = (name: string) =>
      m.run(1, async () => {
        log.push(`${name}+`);
        await tick();
        log.push(`${name}-`);
        return name;
      });
    expect(await Promise.all([job('a'), job('b'), job('c')])).toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['a+', 'a-', 'b+', 'b-', 'c+', 'c-']);
    expect(m.isLocked(1)).toBe(false);
  });

  it('does not block other keys', async () => {
    const m = new KeyedMutex();
    let release!: () => void;
    const held = m.run(1, () => new Promise<void>((resolve) => (release = resolve)));
    expect(await m.run(2, async () => 'other')).toBe('other');
    release();
    await held;
  });

  it('tryRun returns undefined while the key is held and runs when it is free', async () => {
    const m = new KeyedMutex();
    let release!: () => void;
    const held = m.run(7, () => new Promise<void>((resolve) => (release = resolve)));
    expect(m.isLocked(7)).toBe(true);
    expect(await m.tryRun(7, async () => 'x')).toBeUndefined();
    release();
    await held;
    expect(await m.tryRun(7, async () => 'x')).toBe('x');
  });

  it('releases the key when the holder throws', async () => {
    const m = new KeyedMutex();
    await expect(m.run(3, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(m.isLocked(3)).toBe(false);
    expect(await m.run(3, async () => 'after')).toBe('after');
  });
});
