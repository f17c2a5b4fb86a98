/**
 * The ledger of one fan-out trial (fanout.ts): per publisher and message, who got it and whether
 * it was acked; the latency histogram of the window, and how many late deliveries came right
 * after a generator stall.
 */
import { Histogram } from '../lib/hist.js';
import { nowUs, type Mark } from '../lib/marker.js';
import { StallWatch } from '../lib/proc.js';

/** A delivery later than this (µs) counts as late in `lateOver10msPct`. */
const LATE_US = 10_000;

/** The ledger of one trial: per publisher and message, who got it and whether it was acked. */
export class Trial {
  readonly hist = new Histogram();
  readonly stalls = new StallWatch();
  /** Deliveries in the window later than LATE_US, and those of them stamped right after a generator stall. */
  late = 0;
  lateAfterStall = 0;
  windowFrom = 0;
  windowTo = 0;
  inWindow = 0;
  duplicated = 0;
  errors = 0;
  held = 0;
  private readonly counts: Uint8Array[];
  private readonly ackedFlags: Uint8Array[];
  private readonly sentN: number[];
  private readonly ackedN: number[];
  private firstError = '';

  constructor(
    groups: number,
    private readonly S: number,
    private readonly perPub: number,
    private readonly base: number[],
  ) {
    this.counts = Array.from({ length: groups }, () => new Uint8Array(perPub * S));
    this.ackedFlags = Array.from({ length: groups }, () => new Uint8Array(perPub));
    this.sentN = new Array<number>(groups).fill(0);
    this.ackedN = new Array<number>(groups).fill(0);
  }

  sentAt(g: number, idx: number): void {
    this.sentN[g] = Math.max(this.sentN[g]!, idx + 1);
  }

  acked(g: number, n: number): void {
    const idx = n - this.base[g]!;
    if (idx < 0 || idx >= this.perPub || this.ackedFlags[g]![idx]) return;
    this.ackedFlags[g]![idx] = 1;
    this.ackedN[g]!++;
  }

  error(detail: string): void {
    if (this.errors++ === 0) this.firstError = detail;
  }

  get firstErrorDetail(): string {
    return this.firstError;
  }

  unackedOf(g: number): number {
    return this.sentN[g]! - this.ackedN[g]!;
  }

  unacked(): number {
    let u = 0;
    for (let g = 0; g < this.sentN.length; g++) u += this.unackedOf(g);
    return u;
  }

  delivered(g: number, member: number, mark: Mark): void {
    // A publisher's marker names its group; anything else would be a misroute.
    if (mark.sender !== g) {
      this.errors++;
      return;
    }
    const idx = mark.n - this.base[g]!;
    if (idx < 0 || idx >= this.perPub) return;
    const at = idx * this.S + member;
    const c = this.counts[g]!;
    if (c[at]! > 0) {
      this.duplicated++;
      if (c[at]! < 255) c[at]!++;
      return;
    }
    c[at] = 1;
    const now = nowUs();
    if (now >= this.windowFrom && now <= this.windowTo) this.inWindow++;
    if (mark.t >= this.windowFrom && mark.t <= this.windowTo) {
      this.hist.record(now - mark.t);
      if (now - mark.t > LATE_US) {
        this.late++;
        if (this.stalls.justAfterStall()) this.lateAfterStall++;
      }
    }
  }

  /** (message, member) pairs of acknowledged messages not delivered. */
  missing(): number {
    let m = 0;
    for (let g = 0; g < this.sentN.length; g++) {
      const flags = this.ackedFlags[g]!;
      const c = this.counts[g]!;
      for (let i = 0; i < this.sentN[g]!; i++) {
        if (!flags[i]) continue;
        for (let k = i * this.S, e = k + this.S; k < e; k++) if (c[k] === 0) m++;
      }
    }
    return m;
  }
}
