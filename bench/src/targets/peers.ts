/**
 * The peers Natter is compared with, each started on loopback in its own process:
 * `ws-floor` (peers/ws-floor-server.ts), `socketio` (peers/socketio-server.ts) and `mosquitto`
 * (Debian's broker with a generated config), and their lean clients.
 */
import { execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MqttClient } from 'mqtt';
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import { ACK_DELAY_MS } from '@natter/protocol';
import { freePort, sleep, spawnChild, stopChild, waitHttp } from '../lib/proc.js';
import type { BenchClient, Connect, Endpoint, Handlers, RunningTarget } from './target.js';

const MOSQUITTO = '/usr/sbin/mosquitto';

function pkgVersion(name: string): string {
  const path = fileURLToPath(new URL(`../../../node_modules/${name}/package.json`, import.meta.url));
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
}

/** A Node peer server from dist/peers/. */
class NodePeer implements RunningTarget {
  private child!: ChildProcess;
  private constructor(
    readonly name: 'ws-floor' | 'ws-floor-acks' | 'socketio',
    readonly version: string,
    readonly port: number,
  ) {}

  static async start(name: 'ws-floor' | 'ws-floor-acks' | 'socketio'): Promise<NodePeer> {
    const version = name === 'socketio' ? `socket.io ${pkgVersion('socket.io')}` : `ws ${pkgVersion('ws')}`;
    const peer = new NodePeer(name, `${version} (node ${process.version})`, await freePort());
    await peer.launch();
    return peer;
  }

  private async launch(): Promise<void> {
    // ws-floor-acks is the same floor server; only its clients differ (wsFloorConnect).
    const script = fileURLToPath(new URL(`../peers/${this.name === 'ws-floor-acks' ? 'ws-floor' : this.name}-server.js`, import.meta.url));
    this.child = spawnChild(process.execPath, [script], { name: this.name, env: { ...process.env, PORT: String(this.port) } });
    await waitHttp(`http://127.0.0.1:${this.port}/healthz`, this.child);
  }

  async restart(): Promise<void> {
    await stopChild(this.child);
    await this.launch();
  }

  get pid(): number {
    return this.child.pid!;
  }

  endpoint(): Endpoint {
    return { target: this.name, host: '127.0.0.1', port: this.port };
  }

  async setup(_users: number, rooms: number[][]): Promise<string[]> {
    return rooms.map((_, i) => `g${i}`);
  }

  stop(): Promise<void> {
    return stopChild(this.child);
  }
}

export const startWsFloor = () => NodePeer.start('ws-floor');
export const startWsFloorAcks = () => NodePeer.start('ws-floor-acks');
export const startSocketIo = () => NodePeer.start('socketio');

function waitTcp(port: number, child: ChildProcess & { stderrTail?: () => string }, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const attempt = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = createConnection({ port, host: '127.0.0.1' });
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', reject);
    });
  return (async () => {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`mosquitto exited (${child.exitCode}): ${child.stderrTail?.() ?? ''}`);
      try {
        return await attempt();
      } catch {
        if (Date.now() > deadline) throw new Error(`port ${port} did not open within ${timeoutMs} ms`);
        await sleep(20);
      }
    }
  })();
}

/** Debian's Mosquitto on its own port and config (the system one on 1883 is left alone). */
export class MosquittoTarget implements RunningTarget {
  readonly name = 'mosquitto' as const;
  private constructor(
    readonly version: string,
    readonly port: number,
    private child: ChildProcess,
    private readonly dir: string,
  ) {}

  async restart(): Promise<void> {
    await stopChild(this.child);
    this.child = spawnChild(MOSQUITTO, ['-c', join(this.dir, 'mosquitto.conf')], { name: 'mosquitto' });
    await waitTcp(this.port, this.child);
  }

  static async start(): Promise<MosquittoTarget> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'mosquitto-bench-'));
    const conf = join(dir, 'mosquitto.conf');
    // Defaults otherwise (max_inflight_messages 20, max_queued_messages 1000). TCP_NODELAY is
    // on, as every Node server here has it: without it Nagle adds tens of ms to small messages.
    writeFileSync(
      conf,
      [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'set_tcp_nodelay true', 'log_dest stderr', 'log_type error', 'log_type warning', ''].join(
        '\n',
      ),
    );
    const child = spawnChild(MOSQUITTO, ['-c', conf], { name: 'mosquitto' });
    await waitTcp(port, child);
    let version = 'mosquitto';
    try {
      version = execFileSync(MOSQUITTO, ['-h'], { encoding: 'utf8' }).split('\n')[0]!.trim();
    } catch (err) {
      // `mosquitto -h` exits 3 after printing its usage
      const out = (err as { stdout?: string }).stdout;
      if (out) version = out.split('\n')[0]!.trim();
    }
    return new MosquittoTarget(`${version}, mqtt.js ${pkgVersion('mqtt')} clients, QoS 1`, port, child, dir);
  }

  get pid(): number {
    return this.child.pid!;
  }

  endpoint(): Endpoint {
    return { target: 'mosquitto', host: '127.0.0.1', port: this.port };
  }

  async setup(_users: number, rooms: number[][]): Promise<string[]> {
    return rooms.map((_, i) => `b/g${i}`);
  }

  async stop(): Promise<void> {
    await stopChild(this.child);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The SDK's ack delay (packages/client sync.ts), for ws-floor-acks clients. */
const FLOOR_ACK_DELAY_MS = ACK_DELAY_MS;

/**
 * Clients of the floor. With `acks` (the target ws-floor-acks) they send what a Natter client
 * sends back for its deliveries, in the SDK's cadence — `ACK_DELAY_MS` after the first delivery since the
 * last ack, one ack frame per room that got any, of a Natter ack's size — and the floor reads
 * and drops them: what reading the acks costs a server that does nothing else with them.
 */
export function wsFloorConnect(e: Endpoint, acks = false): Connect {
  const url = `ws://${e.host}:${e.port}/`;
  return (_user: number, rooms: string[], h: Handlers, localAddress?: string) =>
    new Promise<BenchClient>((resolve, reject) => {
      const ws = new WebSocket(url, {
        perMessageDeflate: false,
        skipUTF8Validation: true,
        handshakeTimeout: 30_000,
        ...(localAddress !== undefined && { localAddress }),
      });
      let joined = 0;
      let ready = false;
      const toAck = new Map<string, number>();
      let acksSent = 0;
      let ackTimer: NodeJS.Timeout | null = null;
      const flushAcks = (): void => {
        ackTimer = null;
        if (ws.readyState === ws.OPEN) {
          for (const [room, n] of toAck) ws.send(`{"type":"ack","conversationId":"c_${room.padEnd(22, 'x')}","seq":${n}}`);
          acksSent += toAck.size;
        }
        toAck.clear();
      };
      const client: BenchClient = {
        publish(room, text, ack) {
          ws.send(`P${room}\n${text}`);
          h.onAck(ack);
        },
        close: () => ws.close(1000),
        ...(acks && { acksSent: () => acksSent }),
      };
      ws.on('message', (data: Buffer) => {
        if (ready) {
          h.onDelivery(data);
          if (acks && data[0] === 0x50) {
            const room = data.toString('latin1', 1, data.indexOf(0x0a));
            toAck.set(room, (toAck.get(room) ?? 0) + 1);
            ackTimer ??= setTimeout(flushAcks, FLOOR_ACK_DELAY_MS);
          }
        } else if (++joined === rooms.length) {
          ready = true;
          resolve(client);
        }
      });
      ws.on('open', () => {
        if (rooms.length === 0) {
          ready = true;
          resolve(client);
        }
        for (const room of rooms) ws.send(`J${room}`);
      });
      ws.on('error', (err) => {
        if (!ready) reject(err);
      });
      ws.on('close', () => {
        if (ackTimer) clearTimeout(ackTimer);
        if (!ready) reject(new Error('closed before ready'));
        h.onClose?.();
      });
    });
}

export function socketIoConnect(e: Endpoint): Connect {
  const url = `http://${e.host}:${e.port}`;
  return (_user: number, rooms: string[], h: Handlers, localAddress?: string) =>
    new Promise<BenchClient>((resolve, reject) => {
      const socket = io(url, {
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
        timeout: 30_000,
        ...(localAddress !== undefined && { localAddress }),
      });
      let ready = false;
      socket.on('m', (text: string) => h.onDelivery(text));
      socket.on('connect', () => {
        socket.emit('join', rooms, () => {
          ready = true;
          resolve({
            publish(room, text, ack) {
              socket.emit('pub', room, text, () => h.onAck(ack));
            },
            close: () => socket.disconnect(),
          });
        });
      });
      socket.on('connect_error', (err) => {
        if (!ready) reject(err);
      });
      socket.on('disconnect', () => h.onClose?.());
    });
}

export function mqttConnect(e: Endpoint): Connect {
  let seq = 0;
  return (user: number, rooms: string[], h: Handlers, localAddress?: string) =>
    new Promise<BenchClient>((resolve, reject) => {
      const client = new MqttClient(
        () => createConnection({ port: e.port, host: e.host, noDelay: true, ...(localAddress !== undefined && { localAddress }) }),
        { protocolVersion: 4, clean: true, reconnectPeriod: 0, keepalive: 60, clientId: `b${process.pid}_${user}_${seq++}`, connectTimeout: 30_000 },
      );
      let ready = false;
      client.on('message', (_topic, payload) => h.onDelivery(payload));
      client.on('connect', () => {
        const done = (err?: Error | null) => {
          if (err) {
            reject(err);
            return;
          }
          ready = true;
          resolve({
            publish(room, text, ack) {
              client.publish(room, text, { qos: 1 }, (perr) => {
                if (perr) h.onError?.(perr.message);
                else h.onAck(ack);
              });
            },
            close: () => void client.end(true),
          });
        };
        if (rooms.length === 0) done();
        else client.subscribe(rooms, { qos: 1 }, (err) => done(err));
      });
      client.on('error', (err) => {
        if (!ready) reject(err);
      });
      client.on('close', () => {
        if (!ready) reject(new Error('closed before ready'));
        h.onClose?.();
      });
    });
}
