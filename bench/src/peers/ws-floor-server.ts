/**
 * The floor: a bare `ws` server that forwards frames to rooms with no logic and no storage.
 * `J<room>` joins a room (answered with `J`), `P<room>\n<payload>` sends the frame, unchanged,
 * to every member of the room, the sender included. It is the least work the fan-out could
 * cost on this machine; every other target is compared with it. Like Natter, it coalesces the
 * frames written to one socket in one event-loop turn into one syscall (cork until
 * setImmediate, at most 64 KB held): a floor that paid a syscall per frame would flatter
 * whoever coalesces.
 */
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

const port = Number(process.env.PORT);
const rooms = new Map<string, Set<WebSocket>>();
const J = 0x4a;
const P = 0x50;
const NL = 0x0a;

const http = createServer((req, res) => {
  res.writeHead(req.url === '/healthz' ? 200 : 404).end();
});
const wss = new WebSocketServer({ server: http, perMessageDeflate: false, clientTracking: false });
const CORK_MAX_BYTES = 64 * 1024;
interface Corkable {
  cork(): void;
  uncork(): void;
}
const corked = new Map<WebSocket, number>();
let uncorkScheduled = false;
function uncorkAll(): void {
  uncorkScheduled = false;
  for (const ws of corked.keys()) (ws as unknown as { _socket: Corkable })._socket.uncork();
  corked.clear();
}
function forward(ws: WebSocket, data: Buffer): void {
  const held = corked.get(ws);
  if (held === undefined) {
    (ws as unknown as { _socket: Corkable })._socket.cork();
    if (!uncorkScheduled) {
      uncorkScheduled = true;
      setImmediate(uncorkAll);
    }
  }
  ws.send(data, { binary: false });
  const now = (held ?? 0) + data.length;
  if (now >= CORK_MAX_BYTES) {
    corked.delete(ws);
    (ws as unknown as { _socket: Corkable })._socket.uncork();
  } else corked.set(ws, now);
}

wss.on('connection', (ws) => {
  const joined: string[] = [];
  ws.on('message', (data: Buffer) => {
    if (data[0] === P) {
      const nl = data.indexOf(NL);
      const set = rooms.get(data.toString('latin1', 1, nl));
      if (set) for (const peer of set) if (peer.readyState === peer.OPEN) forward(peer, data);
    } else if (data[0] === J) {
      const room = data.toString('latin1', 1);
      let set = rooms.get(room);
      if (!set) rooms.set(room, (set = new Set()));
      set.add(ws);
      joined.push(room);
      ws.send('J');
    }
  });
  ws.on('error', () => {});
  ws.on('close', () => {
    corked.delete(ws);
    for (const room of joined) {
      const set = rooms.get(room);
      set?.delete(ws);
      if (set?.size === 0) rooms.delete(room);
    }
  });
});
http.listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
