/**
 * Micro-benchmark of the SQLite message-search index's cost per message (issue 17). Three parts:
 *
 * 1. `old`: migration 14's way — an FTS5 trigram table in the main database filled by a trigger
 *    inside each send's transaction (25-message group commits in the direct shape). Its cost is
 *    the send's CPU and WAL bytes with the trigger minus without it.
 * 2. `new`: the send as it is now (no index work) and, apart, the SearchIndexer as its thread
 *    runs it (a read-only connection on the main file, the index in `<db>-search`), one pass
 *    after every `batch` messages (at 2,000 messages/s a 250 ms tick sees about 500).
 * 3. `options`: bare FTS5 inserts of the same texts for several table options and transaction
 *    sizes, to choose the table (µs of CPU per message).
 *
 *   node bench/dist/micro/search-index.js [messages=20000] [batch=500] [dir]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SEARCH_FTS_OPTIONS, SearchIndexer, SqliteStore, searchFilePath } from '@natter/server';
import { clientMsgId } from '../lib/marker.js';

const total = Number(process.argv[2] ?? 20_000);
const batch = Number(process.argv[3] ?? 500);
const root = process.argv[4] ?? mkdtempSync(join(tmpdir(), 'natter-search-index-'));
const PAIRS = 25;

// Texts like chat: English of 3–20 words, a third Chinese of 6–40 characters; deterministic.
let seed = 42;
const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
const WORDS = 'the a meeting lunch tomorrow report deadline great thanks ok see you at noon project budget review call later sure why not coffee office train late sorry done shipped fixed bug release'.split(' ');
const HANZI = '我们明天开会讨论项目今天天气很好吃饭了吗好的谢谢没问题报告已经发给你请看一下周末见';
function text(): string {
  if (rand(3) === 0) return Array.from({ length: 6 + rand(35) }, () => HANZI[rand(HANZI.length)]).join('');
  return Array.from({ length: 3 + rand(18) }, () => WORDS[rand(WORDS.length)]).join(' ');
}
const texts = Array.from({ length: total }, text);

/** Migration 14's index and triggers, as releases before migration 16 kept them. */
const OLD_INDEX = `
CREATE VIRTUAL TABLE messages_fts USING fts5(text, tokenize = 'trigram');
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
  INSERT INTO messages_fts (rowid, text) SELECT new.rowid, t FROM (SELECT json_extract(new.body, '$.text') AS t) WHERE typeof(t) = 'text' AND t <> '';
END;`;

const cpuUs = (from: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(from);
  return c.user + c.system;
};
const wchar = () => Number(/wchar: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))![1]);

/** A store at `path` with PAIRS direct conversations; `send(from, n)` stores texts[from..from+n) in 25-message batches. */
async function storeAt(path: string) {
  const store = new SqliteStore({ path, durability: 'normal', searchIndex: 'thread' });
  const convs: { id: string; sender: string }[] = [];
  for (let p = 0; p < PAIRS; p++) {
    const users = [`u${p}a`, `u${p}b`];
    for (const u of users) await store.createUser({ id: u, username: u, passwordHash: null, displayName: null, avatarUrl: null, createdAt: 1 });
    const c = await store.openDirect(users[0]!, users[1]!, () => ({
      id: `c${p}`,
      kind: 'direct',
      title: null,
      createdBy: users[0]!,
      members: users.map((userId) => ({ userId, role: 'member' as const })),
      createdMessageId: `c${p}m0`,
      createdAt: 1,
    }));
    convs.push({ id: c.state.id, sender: users[0]! });
  }
  let n = 0;
  const send = async (from: number, count: number) => {
    for (let i = from; i < from + count; i += PAIRS) {
      const msgs = convs.slice(0, Math.min(PAIRS, from + count - i)).map((c, k) => ({
        id: `m${path.length}-${n++}`,
        conversationId: c.id,
        senderId: c.sender,
        type: 'text' as const,
        body: JSON.stringify({ text: texts[i + k] }),
        clientMsgId: clientMsgId('search', k, n),
        replyTo: null,
        createdAt: 2,
      }));
      await store.appendMessages(msgs);
    }
  };
  return { store, send };
}

/** CPU µs and bytes written per message for storing every text, after `prepare` ran on the file. */
async function sends(name: string, prepare: (raw: Database.Database) => void) {
  const path = join(root, name, 'natter.db');
  const { store, send } = await storeAt(path);
  const raw = new Database(path);
  prepare(raw);
  raw.close();
  const w0 = wchar();
  const c0 = process.cpuUsage();
  await send(0, total);
  const us = cpuUs(c0);
  const written = wchar() - w0;
  await store.close();
  return { cpuUs: us / total, writtenKB: written / total / 1024 };
}

// Warm-up (JIT, the page cache's first growth), then each way on a file of its own.
await sends('warm', () => {});
const old = await sends('old', (raw) => raw.exec(OLD_INDEX));
const bare = await sends('bare', () => {});

// The indexer as its thread runs it: a pass after each `batch` messages, timed alone.
const path = join(root, 'new', 'natter.db');
const { store, send } = await storeAt(path);
const source = new Database(path, { readonly: true, fileMustExist: true });
const target = new Database(searchFilePath(path), { fileMustExist: true });
target.pragma('synchronous = NORMAL');
const indexer = new SearchIndexer(source, target, 'main');
let indexUs = 0;
let passes = 0;
const passMs: number[] = [];
for (let from = 0; from < total; from += batch) {
  await send(from, Math.min(batch, total - from));
  const c0 = process.cpuUsage();
  const goal = indexer.committed();
  for (;;) {
    const t0 = performance.now();
    if (indexer.covers(goal) || !indexer.pass()) break;
    passes++;
    passMs.push(performance.now() - t0);
  }
  indexUs += cpuUs(c0);
}
source.close();
target.close();
await store.close();

// Bare FTS5 inserts for each table option and transaction size.
const options: Record<string, string> = {
  'full (migration 14)': `text, tokenize = 'trigram'`,
  'detail=none': `text, tokenize = 'trigram', detail = none`,
  'contentless': `text, tokenize = 'trigram', content = '', contentless_delete = 1`,
  'detail=none contentless (used)': SEARCH_FTS_OPTIONS,
};
const optionsUs: Record<string, Record<string, number>> = {};
for (const [label, opts] of Object.entries(options)) {
  for (const tx of [25, 500]) {
    const db = new Database(join(root, `opt-${Object.keys(optionsUs).length}-${tx}.db`));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(`CREATE VIRTUAL TABLE f USING fts5(${opts})`);
    const ins = db.prepare('INSERT INTO f (rowid, text) VALUES (?, ?)');
    const run = db.transaction((from: number) => {
      for (let i = from; i < Math.min(from + tx, total); i++) ins.run(i + 1, texts[i]!);
    });
    const c0 = process.cpuUsage();
    for (let from = 0; from < total; from += tx) run(from);
    (optionsUs[label] ??= {})[`tx${tx}`] = +(cpuUs(c0) / total).toFixed(2);
    db.close();
  }
}

console.log(
  JSON.stringify(
    {
      messages: total,
      sendBatch: PAIRS,
      indexerBatch: batch,
      old: { indexCpuUsPerMsg: +(old.cpuUs - bare.cpuUs).toFixed(2), sendCpuUsPerMsg: +old.cpuUs.toFixed(2), writtenKBPerMsg: +old.writtenKB.toFixed(2) },
      new: {
        sendCpuUsPerMsg: +bare.cpuUs.toFixed(2),
        writtenKBPerMsg: +bare.writtenKB.toFixed(2),
        indexerCpuUsPerMsg: +(indexUs / total).toFixed(2),
        passes,
        passMsMedian: +passMs.sort((x, y) => x - y)[passMs.length >> 1]!.toFixed(1),
        passMsMax: +passMs.at(-1)!.toFixed(1),
      },
      options: optionsUs,
    },
    null,
    1,
  ),
);
if (process.argv[4] === undefined) rmSync(root, { recursive: true, force: true });
