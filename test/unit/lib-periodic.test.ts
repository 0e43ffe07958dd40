import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startPeriodic } from '../../src/lib/index.js';

describe('startPeriodic', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs every interval, counted from the end of the previous run, until stopped', async () => {
    let runs = 0;
    const job = startPeriodic(() => {
      runs++;
      return Promise.resolve();
    }, 100);
    await vi.advanceTimersByTimeAsync(99);
    expect(runs).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(runs).toBe(3);
    await job.stop();
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toBe(3);
  });

  it('never runs twice at once: tick joins the run in progress, and stop waits for it', async () => {
    let finish: () => void = () => undefined;
    let runs = 0;
    const job = startPeriodic(() => {
      runs++;
      return new Promise<void>((resolve) => {
        finish = resolve;
      });
    }, 100);
    const first = job.tick();
    const second = job.tick();
    expect(runs).toBe(1);
    let stopped = false;
    const stopping = job.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    finish();
    await Promise.all([first, second, stopping]);
    expect(stopped).toBe(true);
  });

  it('keeps going after a run that rejects', async () => {
    let runs = 0;
    const job = startPeriodic(() => {
      runs++;
      return Promise.reject(new Error('boom'));
    }, 10);
    await vi.advanceTimersByTimeAsync(30);
    expect(runs).toBe(3);
    await job.stop();
  });
});
