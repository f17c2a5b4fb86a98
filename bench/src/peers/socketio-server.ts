/**
 * The Socket.IO peer: a minimal Socket.IO 4 server with rooms. `join` (rooms, ack) joins,
 * `pub` (room, text, ack) emits `m` to everyone in the room, the sender included, and
 * acknowledges. Default options (no compression); clients use the WebSocket transport.
 */
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const port = Number(process.env.PORT);
const http = createServer((req, res) => {
  res.writeHead(req.url === '/healthz' ? 200 : 404).end();
});
const io = new Server(http, { serveClient: false });
io.on('connection', (socket) => {
  socket.on('join', (rooms: string[], ack?: () => void) => {
    void socket.join(rooms);
    ack?.();
  });
  socket.on('pub', (room: string, text: string, ack?: () => void) => {
    io.to(room).emit('m', text);
    ack?.();
  });
});
http.listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
