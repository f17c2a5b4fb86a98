/**
 * The floor: a bare `ws` server that forwards frames to rooms with no logic and no storage.
 * `J<room>` joins a room (answered with `J`), `P<room>\n<payload>` sends the frame, unchanged,
 * to every member of the room, the sender included. It is the least work the fan-out could
 * cost on this machine; every other target is compared with it.
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
wss.on('connection', (ws) => {
  const joined: string[] = [];
  ws.on('message', (data: Buffer) => {
    if (data[0] === P) {
      const nl = data.indexOf(NL);
      const set = rooms.get(data.toString('latin1', 1, nl));
      if (set) for (const peer of set) peer.send(data, { binary: false });
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
    for (const room of joined) {
      const set = rooms.get(room);
      set?.delete(ws);
      if (set?.size === 0) rooms.delete(room);
    }
  });
});
http.listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
