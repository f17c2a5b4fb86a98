/**
 * What every benchmark target offers the generator. A target is a server process started on
 * loopback (`RunningTarget`), plus a way to open lean clients to it (`Connect`). Workloads see
 * only rooms and payloads: a room is a Natter conversation, a Socket.IO room, an MQTT topic or
 * a ws-floor room. Every target delivers a message to every member of its room, the sender
 * included (Natter's own semantics: all devices of all members get each entry).
 */
export const TARGETS = ['natter', 'natter-b', 'natter-cluster', 'socketio', 'mosquitto', 'ws-floor', 'ws-floor-acks'] as const;
export type TargetName = (typeof TARGETS)[number];

/** What a generator process needs to open clients to a running target. Serialisable (idle workers get it as JSON). */
export interface Endpoint {
  target: TargetName;
  host: string;
  port: number;
  /** Natter: an access token per user index. */
  tokens?: string[];
  /** Natter: how clients acknowledge deliveries — like the SDK (ack within 50 ms, ping at the heartbeat), or never (a reference). */
  acks?: AckCadence;
}

/** `sdk`: what @natter/client does; `none`: clients that never ack (the figures before issue 17). */
export type AckCadence = 'sdk' | 'none';

export interface Handlers {
  /** One delivery; the payload holds a marker (see marker.ts). */
  onDelivery(payload: Buffer | string): void;
  /** The target confirmed a publish: Natter `result`, Socket.IO ack, MQTT PUBACK; ws-floor confirms nothing and acks at once. */
  onAck(ack: number): void;
  /** A publish was refused (Natter `error`). */
  onError?(detail: string): void;
  onClose?(): void;
}

export interface BenchClient {
  /** Sends `text` to `room`; `ack` comes back through Handlers.onAck. `clientMsgId` must be unique per sender. */
  publish(room: string, text: string, ack: number, clientMsgId: string): void;
  close(): void;
  /** Ack frames this client has sent so far (Natter with SDK acks, ws-floor-acks); none: it sends none. */
  acksSent?(): number;
}

/** Opens one client as user `user`, joined to `rooms`, resolving once it can publish and receive. */
export type Connect = (user: number, rooms: string[], h: Handlers, localAddress?: string) => Promise<BenchClient>;

export interface RunningTarget {
  readonly name: TargetName;
  /** The server process (for /proc CPU and RSS). */
  readonly pid: number;
  /** e.g. "natter 0.1.0 (node v20.20.2)". */
  readonly version: string;
  endpoint(): Endpoint;
  /**
   * Prepares `users` identities and one room per entry of `rooms` (each a list of member user
   * indexes, the first one owning it); returns the room keys in the same order.
   */
  setup(users: number, rooms: number[][], kind: 'group' | 'direct'): Promise<string[]>;
  /** A fresh process on the same port (and, for Natter, the same data): a clean baseline for memory figures. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Loopback source addresses to spread many connections over (more 4-tuples per destination). */
export function sourceAddress(i: number, spread: number): string | undefined {
  if (spread <= 1) return undefined;
  return `127.0.0.${1 + (i % spread)}`;
}
