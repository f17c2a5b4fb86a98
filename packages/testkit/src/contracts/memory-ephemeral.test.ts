/**
 * MemoryEphemeral: the Ephemeral contract on instances sharing one MemoryEphemeralSpace with a
 * manual clock. Its unit tests (exact expiry boundaries, the sweep) stay beside it in
 * @natter/server's ephemeral/memory/.
 */
import { MemoryEphemeralSpace, type Clock, type MemoryEphemeral } from '@natter/server';
import { runEphemeralContract } from './ephemeral.js';

/**
 * A clock the test moves by hand; its timers fire as it passes their time, so the space's sweep runs
 * as it would. (The server's unit tests keep their own: the server never imports the test kit.)
 */
class ManualClock implements Clock {
  private t = Date.UTC(2030, 0, 1);
  private timers: { at: number; fn: () => void }[] = [];

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): { cancel(): void } {
    const timer = { at: this.t + ms, fn };
    this.timers.push(timer);
    return { cancel: () => (this.timers = this.timers.filter((x) => x !== timer)) };
  }

  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = this.timers.filter((x) => x.at <= end).sort((x, y) => x.at - y.at)[0];
      if (!next) break;
      this.timers = this.timers.filter((x) => x !== next);
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }
}

runEphemeralContract('memory', async () => {
  const clock = new ManualClock();
  const space = new MemoryEphemeralSpace(clock);
  const opened: MemoryEphemeral[] = [];
  return {
    async open(prefix) {
      const eph = space.attach({ prefix });
      opened.push(eph);
      return eph;
    },
    time: clock,
    async cleanup() {
      for (const eph of opened) await eph.close();
    },
  };
});
