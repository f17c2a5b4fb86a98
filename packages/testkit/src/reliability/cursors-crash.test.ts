/**
 * Cursors across kill -9: delivery cursors are kept in memory and written about once a second
 * (core/cursors.ts), so a crash may forget the last acks, but it must never move a cursor back
 * or past what the client acked. A device acks what it received — in order and, like a client
 * that got entries again, some older seqs too (each run starts with an ack of seq 1, written
 * before anything newer) — and marks some read, while its server is killed
 * at random moments and restarted on the same data. Between runs the SQLite file is read
 * directly: each device's delivery cursor and the user's read cursor only ever go up, never
 * beyond the highest seq that device acked (or the user marked read), and a read cursor the
 * server answered is there (reads are written before they are answered).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { api, RawClient, register, type Tokens } from '../harness.js';
import { freePort, ServerProcess } from './server-process.js';

const ROUNDS = Number(process.env.CURSOR_CRASH_ROUNDS ?? 5);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const dataDir = mkdtempSync(join(tmpdir(), 'natter-cursors-'));
let server: ServerProcess | undefined;
afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Stored {
  delivered: Map<string, number>;
  read: number;
}

/** The cursors as the database holds them (opened between runs, while no server is up). */
function readStored(conversationId: string, userId: string): Stored {
  const db = new Database(join(dataDir, 'natter.db'), { fileMustExist: true });
  try {
    const rows = db.prepare('SELECT device_id, acked_seq FROM device_cursors WHERE conversation_id = ?').all(conversationId) as { device_id: string; acked_seq: number }[];
    const m = db.prepare('SELECT read_seq FROM members WHERE conversation_id = ? AND user_id = ?').get(conversationId, userId) as { read_seq: number };
    return { delivered: new Map(rows.map((r) => [r.device_id, r.acked_seq])), read: m.read_seq };
  } finally {
    db.close();
  }
}

describe('cursors across kill -9', () => {
  it(`never move back or beyond what was acked, over ${ROUNDS} crashes`, { timeout: 120_000 }, async () => {
    const s = new ServerProcess(await freePort(), { DATA_DIR: dataDir });
    server = s;
    await s.start();
    const alice = await register(s.url);
    const bob: Tokens[] = [await register(s.url)];
    const ws = `ws://127.0.0.1:${s.port}/v1/ws`;
    const a0 = await RawClient.authed(ws, alice.accessToken);
    const created = await a0.request({ type: 'conversation.create', title: 'g', members: [bob[0]!.userId] });
    const conversationId = created.data.id as string;
    a0.close();
    // A second device of bob's: delivery cursors are per device.
    const login = await api(s.url, 'POST', '/v1/auth/login', { username: (bob[0] as Tokens & { username: string }).username, password: 'correct horse battery' });
    bob.push(login.body as Tokens);

    const acked = new Map<string, number>();
    let readSent = 0;
    let readAnswered = 0;
    let previous: Stored = { delivered: new Map(), read: 0 };
    let checks = 0;

    for (let round = 0; round < ROUNDS; round++) {
      const sender = await RawClient.authed(ws, alice.accessToken);
      const devices = await Promise.all(bob.map((t) => RawClient.authed(ws, t.accessToken)));
      // A device whose client lost its place acks an old seq first (here 1): after a write,
      // the stored cursor must not have gone back to it.
      await sender.request({ type: 'send', conversationId, clientMsgId: `r${round}first`, msgType: 'text', body: { text: 'first' } });
      for (const d of devices) {
        await d.waitFor((x) => x.type === 'message');
        expect((await d.request({ type: 'ack', conversationId, seq: 1 })).type).toBe('result');
      }
      await sleep(1200);
      let running = true;
      // Each device acks every entry it receives, and now and then an older seq again.
      const receivers = devices.map(async (d, i) => {
        const deviceId = bob[i]!.deviceId;
        while (running) {
          let f;
          try {
            f = await d.waitFor((x) => x.type === 'message', 200);
          } catch {
            // Timed out: look again; closed (the server was killed): this device is done.
            if (d.ws.readyState === d.ws.OPEN) continue;
            return;
          }
          const seq = f.message.seq as number;
          const ackSeq = Math.random() < 0.2 ? Math.max(1, seq - 1 - Math.floor(Math.random() * 5)) : seq;
          d.send({ type: 'ack', conversationId, seq: ackSeq });
          acked.set(deviceId, Math.max(acked.get(deviceId) ?? 0, ackSeq));
          if (i === 0 && Math.random() < 0.1) {
            readSent = Math.max(readSent, seq);
            void d.request({ type: 'read', conversationId, seq }).then(
              (r) => r.type === 'result' && (readAnswered = Math.max(readAnswered, r.data.seq as number)),
              () => undefined,
            );
          }
        }
      });
      const sends = (async () => {
        for (let n = 0; running; n++) {
          try {
            await sender.request({ type: 'send', conversationId, clientMsgId: `r${round}n${n}`, msgType: 'text', body: { text: `m${n}` } }, 2000);
          } catch {
            return;
          }
          await sleep(5);
        }
      })();
      // Kill while acks are kept in memory: anywhere within the 1 s between writes, or past one.
      await sleep(300 + Math.random() * 1500);
      await s.kill9();
      running = false;
      await Promise.all([...receivers, sends]);
      for (const c of [sender, ...devices]) c.close();

      const now = readStored(conversationId, bob[0]!.userId);
      console.log(`round ${round}: stored ${JSON.stringify([...now.delivered.values()])} read ${now.read}; acked ${JSON.stringify([...acked.values()])} read sent ${readSent} answered ${readAnswered}`);
      for (const t of bob) {
        const cursor = now.delivered.get(t.deviceId) ?? 0;
        expect(cursor, `device ${t.deviceId} after round ${round}`).toBeGreaterThanOrEqual(previous.delivered.get(t.deviceId) ?? 0);
        expect(cursor).toBeLessThanOrEqual(acked.get(t.deviceId) ?? 0);
        checks++;
      }
      expect(now.read).toBeGreaterThanOrEqual(previous.read);
      expect(now.read).toBeGreaterThanOrEqual(readAnswered);
      expect(now.read).toBeLessThanOrEqual(readSent);
      previous = now;
      await s.start();
    }
    expect(checks).toBe(ROUNDS * bob.length);
    // Something was written at all: the acks of earlier rounds, past a flush, reached the store.
    expect(Math.max(...previous.delivered.values())).toBeGreaterThan(0);
  });
});
