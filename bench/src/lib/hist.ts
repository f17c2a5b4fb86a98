/**
 * A log-linear latency histogram in microseconds: exact below 1 ms, then 512 sub-buckets per
 * power of two (≤ 0.2 % error). Recording is O(1) with no allocation, so the generator can
 * record every delivery; percentiles walk the counts once.
 */
const LINEAR = 1024;
const SUB = 512;
const SIZE = LINEAR + 23 * SUB;

function indexOf(us: number): number {
  const v = us <= 0 ? 0 : Math.min(Math.round(us), 0x7fffffff);
  if (v < LINEAR) return v;
  const e = 31 - Math.clz32(v) - 9;
  return LINEAR + (e - 1) * SUB + ((v >>> e) - SUB);
}

function valueOf(index: number): number {
  if (index < LINEAR) return index;
  const k = index - LINEAR;
  const e = Math.floor(k / SUB) + 1;
  return ((k % SUB) + SUB) << e;
}

export class Histogram {
  private readonly counts = new Float64Array(SIZE);
  count = 0;
  max = 0;

  record(us: number): void {
    this.counts[indexOf(us)]! += 1;
    this.count++;
    if (us > this.max) this.max = us;
  }

  /** The value (µs) at quantile q in [0, 1]. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < SIZE; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(valueOf(i), this.max);
    }
    return this.max;
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
