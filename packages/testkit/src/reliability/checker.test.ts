/**
 * The proof of Natter's delivery guarantees on one process: the checker scenario runs while
 * the server is killed with SIGKILL at random moments and restarted on the same data, while
 * devices also recall, edit and react. Lost, duplicated, reordered and divergent must all be 0,
 * and every device must end with every message in the server's final state, the one the
 * acknowledged actions allow (stateDivergent, wrongFinalState: expect-clean.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectClean } from './expect-clean.js';
import { runScenario } from './scenario.js';
import { freePort, ServerProcess } from './server-process.js';

const KILLS = Number(process.env.CHECKER_KILLS ?? 6);
const SENDS = Number(process.env.CHECKER_SENDS ?? 250);
const SEED = Number(process.env.CHECKER_SEED ?? Date.now() % 1_000_000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const dataDir = mkdtempSync(join(tmpdir(), 'natter-checker-'));
let server: ServerProcess | undefined;
afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('fault-injecting checker, one process', () => {
  it(`loses, duplicates, reorders and diverges nothing across ${KILLS} kill -9s`, { timeout: 240_000 }, async () => {
    const s = new ServerProcess(await freePort(), { DATA_DIR: dataDir, DURABILITY: 'normal' });
    server = s;
    await s.start();
    const result = await runScenario(
      {
        url: s.url,
        async fault() {
          await s.kill9();
          await sleep(50 + Math.random() * 400);
          await s.start();
        },
      },
      { faults: KILLS, sendsPerDevice: SENDS, seed: SEED, log: (l) => console.log(l) },
    );
    expect(s.kills).toBeGreaterThanOrEqual(KILLS);
    expect(result.faultsDuringTraffic).toBeGreaterThanOrEqual(5);
    expectClean(result, { minChecked: 1000 });
  });
});
