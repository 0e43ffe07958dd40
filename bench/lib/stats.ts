/**
 * Latency recording and summaries. Every sample is kept (a 10 s run at a few thousand
 * operations per second is small), so percentiles are exact rather than bucketed; they are
 * reported the way HdrHistogram does (p50, p90, p99, p99.9, max).
 */
export class Recorder {
  #samples = new Float64Array(4096);
  #n = 0;

  record(ms: number): void {
    if (this.#n === this.#samples.length) {
      const bigger = new Float64Array(this.#samples.length * 2);
      bigger.set(this.#samples);
      this.#samples = bigger;
    }
    this.#samples[this.#n++] = ms;
  }

  get count(): number {
    return this.#n;
  }

  summary(): Latency {
    return latency(this.#samples.subarray(0, this.#n));
  }
}

export interface Latency {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

export function latency(samples: Float64Array): Latency {
  const sorted = Float64Array.from(samples).sort();
  const n = sorted.length;
  const at = (q: number) => (n === 0 ? 0 : sorted[Math.min(n - 1, Math.ceil(q * n) - 1)]!);
  let sum = 0;
  for (const s of sorted) sum += s;
  return {
    count: n,
    mean: round(n === 0 ? 0 : sum / n),
    p50: round(at(0.5)),
    p90: round(at(0.9)),
    p99: round(at(0.99)),
    p999: round(at(0.999)),
    max: round(n === 0 ? 0 : sorted[n - 1]!),
  };
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return 0;
  return n % 2 === 1 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

export interface Repeated {
  /** Per-run values, in run order. */
  runs: number[];
  min: number;
  median: number;
  max: number;
}

export function repeated(runs: readonly number[]): Repeated {
  return {
    runs: runs.map((r) => round(r, 1)),
    min: round(Math.min(...runs), 1),
    median: round(median(runs), 1),
    max: round(Math.max(...runs), 1),
  };
}

export { round };
