/**
 * The history flood of issue 18 finding 1, as a process of its own, so that the attack's own
 * work (thousands of frames a second, reading 256 KB answers) does not slow the test process
 * that times the bystanders. Run by history-flood.test.ts:
 *
 *   node flood.mjs <http url> <access token> <conversation id> <ms> <deaf sockets> <http loops>
 *
 * Deaf sockets authenticate, stop reading and send `messages after 0 limit 200` in bursts of
 * 100 every 50 ms (1,000 per socket), replaced when the server closes one; one socket that does
 * read counts `rate_limited` answers; HTTP loops ask `GET /v1/conversations/:id/messages`. Prints
 * one JSON line of counts when the time is up.
 */
/* global process, fetch, AbortSignal, setTimeout -- Node's, in a plain script */
import WebSocket from 'ws';

const [url, token, conversationId, msText, socketsText, httpText] = process.argv.slice(2);
const stopAt = Date.now() + Number(msText);
const wsUrl = url.replace(/^http/, 'ws') + '/v1/ws';
const frame = JSON.stringify({ type: 'messages', conversationId, after: 0, limit: 200 });
const counts = { socketsOpened: 0, wsRateLimited: 0, wsPages: 0, httpPages: 0, http429: 0, httpOther: 0 };

/** An authenticated socket; `onFrame` sees every frame after the auth result. */
function open(onFrame) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl);
    ws.on('error', reject);
    // Closed before the auth result (a connection cap): give up on this one, never hang.
    ws.once('close', () => reject(new Error('closed before auth')));
    ws.once('open', () => ws.send(JSON.stringify({ type: 'auth', id: 0, token })));
    ws.once('message', (data) => {
      const f = JSON.parse(data.toString());
      if (f.type !== 'result') return reject(new Error(`auth: ${data}`));
      ws.on('message', (d) => onFrame?.(JSON.parse(d.toString())));
      resolve(ws);
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function deaf() {
  while (Date.now() < stopAt) {
    let ws;
    try {
      ws = await open(null);
    } catch {
      continue;
    }
    counts.socketsOpened++;
    ws.on('error', () => {});
    ws._socket.pause();
    for (let sent = 0; sent < 1000 && ws.readyState === WebSocket.OPEN && Date.now() < stopAt; sent += 100) {
      for (let i = 0; i < 100; i++) ws.send(frame);
      await sleep(50);
    }
    ws.terminate();
  }
}

async function reader() {
  // The server may close this socket (3006 after 100 refusals in a row): what waited is answered
  // `closed` and a new socket takes over, so no await is left hanging when the time is up.
  while (Date.now() < stopAt) {
    const waiting = new Map();
    let ws;
    try {
      ws = await open((f) => {
        waiting.get(f.id)?.(f);
        waiting.delete(f.id);
      });
    } catch {
      await sleep(50);
      continue;
    }
    ws.on('close', () => {
      for (const answer of waiting.values()) answer({ type: 'closed' });
      waiting.clear();
    });
    for (let id = 1; Date.now() < stopAt && ws.readyState === WebSocket.OPEN; id++) {
      const answer = new Promise((r) => waiting.set(id, r));
      ws.send(JSON.stringify({ type: 'messages', id, conversationId, after: 0, limit: 200 }));
      const f = await answer;
      if (f.type === 'closed') break;
      if (f.type === 'error' && f.error.code === 'rate_limited') counts.wsRateLimited++;
      else if (f.type === 'result') counts.wsPages++;
    }
    ws.close();
  }
}

async function http() {
  while (Date.now() < stopAt) {
    try {
      const res = await fetch(`${url}/v1/conversations/${conversationId}/messages?after=0&limit=200`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(30_000),
      });
      await res.arrayBuffer();
      if (res.status === 200) counts.httpPages++;
      else if (res.status === 429) counts.http429++;
      else counts.httpOther++;
    } catch {
      counts.httpOther++;
    }
  }
}

await Promise.all([
  ...Array.from({ length: Number(socketsText) }, deaf),
  reader(),
  ...Array.from({ length: Number(httpText) }, http),
]);
process.stdout.write(JSON.stringify(counts) + '\n');
process.exit(0);
