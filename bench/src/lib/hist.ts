/**
 * Latency histograms in microseconds: HdrHistogram (hdr-histogram-js, the JavaScript port of Gil
 * Tene's HdrHistogram that wrk2 and most load generators use), 3 significant digits (≤ 0.1 %
 * error), growing as values need. Recording is O(1) with no allocation, so the generator can
 * record every delivery. This class keeps the bench's small API over it.
 */
import { build, type Histogram as Hdr } from 'hdr-histogram-js';

export class Histogram {
  private readonly h: Hdr = build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3, autoResize: true });

  get count(): number {
    return this.h.totalCount;
  }

  get max(): number {
    return this.h.maxValue;
  }

  record(us: number): void {
    this.h.recordValue(us <= 0 ? 0 : Math.round(us));
  }

  /** The value (µs) at quantile q in [0, 1]. */
  quantile(q: number): number {
    return this.count === 0 ? 0 : this.h.getValueAtPercentile(q * 100);
  }

  /** p50/p99/max in milliseconds, rounded to 0.01 ms. */
  summaryMs(): { p50: number; p99: number; max: number } {
    const ms = (us: number) => Math.round(us / 10) / 100;
    return { p50: ms(this.quantile(0.5)), p99: ms(this.quantile(0.99)), max: ms(this.max) };
  }
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
