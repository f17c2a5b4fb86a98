/**
 * A minimal TCP load balancer for cluster tests: each incoming connection goes to the next
 * backend in turn; when a backend refuses, the next one is tried. No sticky sessions, like
 * the nginx/HAProxy set-ups in docs/deployment.md.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export class Balancer {
  private server: Server | null = null;
  private next = 0;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly backends: number[]) {}

  /** `port`: 0 for any free one, or the port of an earlier start() to come back on it. */
  async start(port = 0): Promise<void> {
    this.server = createServer((client) => this.route(client, 0));
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private route(client: Socket, tried: number): void {
    if (tried >= this.backends.length) {
      client.destroy();
      return;
    }
    const port = this.backends[this.next++ % this.backends.length]!;
    client.pause();
    const upstream = connect(port, '127.0.0.1');
    upstream.once('connect', () => {
      this.sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      client.resume();
      const done = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.once('close', done).once('error', done);
      upstream.once('close', done).once('error', done);
    });
    upstream.once('error', () => {
      if (!this.sockets.has(upstream)) this.route(client, tried + 1);
    });
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
