import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { CpuMeter } from './proc.js';

// A child whose main thread waits while a worker thread burns 0.6 s of CPU: a server whose
// storage thread is busy and whose event loop is not.
const CHILD = `
const { Worker } = require('node:worker_threads');
const w = new Worker('const t = process.cpuUsage(); while (process.cpuUsage(t).user < 600000) {}', { eval: true });
w.on('online', () => console.log('started'));
w.on('exit', () => console.log('spun'));
setInterval(() => {}, 1000);
`;

describe('CpuMeter', () => {
  it("tells a process's event-loop thread from its other threads", async () => {
    const child = spawn(process.execPath, ['-e', CHILD], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const lines: string[] = [];
      child.stdout.setEncoding('utf8').on('data', (d: string) => lines.push(...d.trim().split('\n')));
      const meter = new CpuMeter(child.pid!);
      const until = async (line: string) => {
        while (!lines.includes(line)) await once(child.stdout, 'data');
      };
      await until('started');
      meter.start();
      await until('spun');
      const total = meter.stop();
      // The worker's 0.6 s counts for the process; its main thread only waited.
      expect(total).toBeGreaterThan(20);
      expect(meter.loop).toBeLessThan(total / 3);
    } finally {
      child.kill();
    }
  });
});
