/**
 * Live rooms: create and moderate them, join and leave as a viewer, send into them. A viewer is
 * a subscription held by this process, not a member: nothing is stored per viewer.
 *
 * Where the state lives:
 * - room metadata (host, moderators, settings): the Store (rooms-store.ts), cached here a few seconds;
 * - viewers: in this process (LocalRoom); the count across the cluster comes from every
 *   process's ticks on the Bus (approximate: each process says its count at least every second,
 *   a dead process's count fades after a few);
 * - recent messages: every process with viewers keeps the room's last `retention` of each
 *   priority from the Bus; a process getting its first viewer of a room reads the others'
 *   recent sends from Ephemeral (each process keeps its own there);
 * - mutes, kicks (bans) and send rate windows: Ephemeral, with TTLs, shared by every process.
 *
 * Cluster cost: a process subscribes the room's topic once, while it has viewers, and publishes
 * at most one bus message per tick per room (the sends it took), plus one a second while it has
 * viewers (its count). See docs/rooms.md for what is delivered, when, and what is dropped.
 */
import { NatterError, type ClientFrameOf, type Room, type RoomJoinResult, type RoomMessage, type RoomSettings } from '@natter/protocol';
import type { Bus } from '../../bus/bus.js';
import type { Ephemeral } from '../../ephemeral/ephemeral.js';
import type { Store } from '../../store/store.js';
import type { Clock } from '../clock.js';
import { outbound, type Connection } from '../connection.js';
import { newConversationId, newMessageId } from '../ids.js';
import { COUNT_EVERY_MS, LocalRoom, type RoomStats, type Viewer } from './local-room.js';
import { decodeRoomEnvelope, encodeRoomEnvelope, encodeRoomMessage, type RoomEncoding } from './room-codec.js';

export interface RoomsOptions {
  /** This process's id on the Bus (its own ticks come back and are ignored). */
  processId: string;
  encoding: RoomEncoding;
  /** Settings of a new room, before the creator's own. */
  defaults: RoomSettings;
  /** Largest body of a room message, as JSON text. */
  maxBodyBytes: number;
}

/** How long room metadata is trusted before it is read again (a `meta` bus message refreshes it at once). */
const META_TTL_MS = 5000;
/** How long a process's own recent sends stay in Ephemeral for others' joining viewers. */
const RECENT_TTL_MS = 10 * 60 * 1000;
/** How long a kick keeps a user out, when the moderator does not say. */
const DEFAULT_KICK_SECONDS = 300;
/** Rooms whose own recent sends a process keeps (see Rooms.ownRecent). */
const MAX_OWN_RECENT_ROOMS = 10_000;

const roomTopic = (roomId: string) => `r:${roomId}`;

let idMs = 0;
let idSeq = 0;
/**
 * A room message id: `m_`, the time (12 hex digits of ms), a counter within the millisecond
 * (4 hex digits), random bits. Ids from one process sort in the order they were made, which
 * `since` relies on; ids from different processes in the same millisecond sort either way.
 */
function newRoomMessageId(now: number): string {
  if (now === idMs) idSeq++;
  else {
    idMs = now;
    idSeq = 0;
  }
  return `m_${now.toString(16).padStart(12, '0')}${idSeq.toString(16).padStart(4, '0')}${newMessageId().slice(-10)}`;
}
const key = (roomId: string, what: string) => `room:${roomId}:${what}`;

export class Rooms {
  private readonly local = new Map<string, LocalRoom>();
  private readonly byConn = new Map<Connection, Viewer>();
  private readonly meta = new Map<string, { room: Room; at: number }>();
  private readonly metaLoads = new Map<string, Promise<Room>>();
  private readonly timers = new Map<string, { cancel(): void }>();
  /**
   * This process's own recent sends per room (what it saves in Ephemeral for the others), kept
   * while the room has no viewers here too; the oldest rooms are forgotten past MAX_OWN_RECENT_ROOMS.
   */
  private readonly ownRecent = new Map<string, { high: RoomMessage[]; normal: RoomMessage[] }>();
  private closed = false;
  /** Failed bus or ephemeral calls; rooms carry on without them (at most once). */
  onError: (err: unknown) => void = () => {};

  constructor(
    private readonly bus: Bus,
    private readonly store: Store,
    private readonly eph: Ephemeral,
    private readonly clock: Clock,
    private readonly o: RoomsOptions,
  ) {
    bus.onMessage((topic, payload) => {
      if (topic.startsWith('r:')) this.receive(topic.slice(2), payload);
    });
  }

  /** Counters per room this process serves (for metrics). */
  stats(): Map<string, RoomStats> {
    return new Map([...this.local].map(([id, r]) => [id, r.stats]));
  }

  /** Viewers connected to this process, all rooms together. */
  get viewerCount(): number {
    let n = 0;
    for (const r of this.local.values()) n += r.viewers.size;
    return n;
  }

  async create(userId: string, f: ClientFrameOf<'room.create'>): Promise<Room> {
    const room: Room = {
      id: newConversationId().replace(/^c_/, 'r_'),
      kind: 'room',
      title: f.title ?? null,
      hostId: userId,
      moderators: [],
      settings: { ...this.o.defaults, ...(f.settings ?? {}) } as RoomSettings,
      createdAt: this.clock.now(),
    };
    await this.store.createRoom(room);
    return room;
  }

  async update(userId: string, f: ClientFrameOf<'room.update'>): Promise<Room> {
    const room = await this.room(f.roomId);
    if (room.hostId !== userId) throw new NatterError('forbidden', 'only the host changes a room');
    const next = await this.store.updateRoom(f.roomId, {
      ...(f.title !== undefined && { title: f.title }),
      ...(f.moderators !== undefined && { moderators: f.moderators }),
      ...(f.settings !== undefined && { settings: f.settings as Partial<RoomSettings> }),
    });
    if (!next) throw new NatterError('not_found', 'no such room');
    this.meta.set(next.id, { room: next, at: this.clock.now() });
    this.applyMeta(next);
    await this.bus.publish(roomTopic(next.id), encodeRoomEnvelope({ k: 'meta' })).catch((err: unknown) => this.onError(err));
    return next;
  }

  /**
   * Room metadata, from the cache. A stale entry is still answered while one read refreshes it
   * in the background, and concurrent misses share one read: at hundreds of sends a second a
   * room's expiry must not become hundreds of store reads at once.
   */
  private async room(roomId: string): Promise<Room> {
    const now = this.clock.now();
    const hit = this.meta.get(roomId);
    if (hit && now - hit.at < META_TTL_MS) return hit.room;
    if (hit) {
      void this.loadMeta(roomId).catch((err: unknown) => this.onError(err));
      return hit.room;
    }
    return this.loadMeta(roomId);
  }

  private loadMeta(roomId: string): Promise<Room> {
    let p = this.metaLoads.get(roomId);
    if (!p) {
      p = (async () => {
        try {
          const room = await this.store.getRoom(roomId);
          if (!room) throw new NatterError('not_found', 'no such room');
          this.meta.set(roomId, { room, at: this.clock.now() });
          this.applyMeta(room);
          return room;
        } finally {
          this.metaLoads.delete(roomId);
        }
      })();
      this.metaLoads.set(roomId, p);
    }
    return p;
  }

  private applyMeta(room: Room): void {
    const r = this.local.get(room.id);
    if (r) r.room = room;
  }

  /**
   * Adds `conn` as a viewer (anonymous when `userId` is null). Resolves once the room's live
   * messages reach it; `recent` holds what it may have missed (see LocalRoom.recent). A message
   * may be both in `recent` and in the first frame: clients drop ids they have.
   */
  async join(conn: Connection, userId: string | null, f: ClientFrameOf<'room.join'>): Promise<RoomJoinResult> {
    const room = await this.room(f.roomId);
    if (userId === null && !room.settings.anonymous) throw new NatterError('not_authenticated', 'this room needs an authenticated viewer');
    if (userId !== null && (await this.ephGet(key(room.id, `ban:${userId}`))) !== null) throw new NatterError('forbidden', 'you were removed from this room');
    let viewer = this.byConn.get(conn);
    if (!viewer) this.byConn.set(conn, (viewer = { conn, userId, rooms: new Set() }));
    let r = this.local.get(room.id);
    const first = !r || r.viewers.size === 0;
    if (!r) {
      r = new LocalRoom(room, this.o.encoding);
      this.local.set(room.id, r);
    }
    r.viewers.add(viewer);
    viewer.rooms.add(room.id);
    if (first) {
      await this.bus.subscribe(roomTopic(room.id)).catch((err: unknown) => this.onError(err));
      await this.loadRecent(r);
      this.schedule(r);
    }
    return { room, viewers: r.viewerCount(this.clock.now()), recent: r.recent(f.since) };
  }

  async leave(conn: Connection, roomId: string): Promise<{ roomId: string }> {
    const viewer = this.byConn.get(conn);
    if (viewer) this.drop(viewer, roomId);
    return { roomId };
  }

  /** The connection is gone: it leaves every room. */
  leaveAll(conn: Connection): void {
    const viewer = this.byConn.get(conn);
    if (!viewer) return;
    for (const roomId of [...viewer.rooms]) this.drop(viewer, roomId);
  }

  private drop(viewer: Viewer, roomId: string): void {
    viewer.rooms.delete(roomId);
    if (viewer.rooms.size === 0) this.byConn.delete(viewer.conn);
    const r = this.local.get(roomId);
    if (!r) return;
    r.viewers.delete(viewer);
    if (r.viewers.size === 0) void this.bus.unsubscribe(roomTopic(roomId)).catch((err: unknown) => this.onError(err));
  }

  async send(userId: string, f: ClientFrameOf<'room.send'>): Promise<{ id: string; priority: 'high' | 'normal'; createdAt: number }> {
    const room = await this.room(f.roomId);
    const body = JSON.stringify(f.body ?? null);
    if (body.length > this.o.maxBodyBytes) throw new NatterError('too_large', `room message bodies are at most ${this.o.maxBodyBytes} bytes`);
    if (f.msgType === 'text' && (typeof f.body !== 'object' || f.body === null || typeof (f.body as { text?: unknown }).text !== 'string')) {
      throw new NatterError('invalid_request', 'a text body is { text: string }');
    }
    const staff = room.hostId === userId || room.moderators.includes(userId);
    if (!staff) {
      if ((await this.ephGet(key(room.id, `mute:${userId}`))) !== null) throw new NatterError('forbidden', 'you are muted in this room');
      await this.limit(key(room.id, `rate:${userId}`), room.settings.userSendsPer10s, 10_000);
      if (f.msgType !== 'gift') await this.limit(key(room.id, 'rate'), room.settings.roomSendsPerSecond, 1000);
    }
    const priority = staff || f.msgType === 'gift' ? 'high' : 'normal';
    const now = this.clock.now();
    return this.post(room, { id: newRoomMessageId(now), roomId: room.id, senderId: userId, type: f.msgType, body: f.body ?? null, priority, createdAt: now });
  }

  /** A system notice into a room (app servers, through the admin API): always high priority. */
  async system(roomId: string, body: unknown): Promise<{ id: string; priority: 'high' | 'normal'; createdAt: number }> {
    const room = await this.room(roomId);
    const now = this.clock.now();
    return this.post(room, { id: newRoomMessageId(now), roomId, senderId: 'system', type: 'system', body, priority: 'high', createdAt: now });
  }

  private post(room: Room, m: RoomMessage): { id: string; priority: 'high' | 'normal'; createdAt: number } {
    let r = this.local.get(room.id);
    if (!r) {
      r = new LocalRoom(room, this.o.encoding);
      this.local.set(room.id, r);
    }
    r.outgoing.push(m);
    let own = this.ownRecent.get(room.id);
    if (!own) {
      this.ownRecent.set(room.id, (own = { high: [], normal: [] }));
      if (this.ownRecent.size > MAX_OWN_RECENT_ROOMS) this.ownRecent.delete(this.ownRecent.keys().next().value!);
    }
    const ring = m.priority === 'high' ? own.high : own.normal;
    ring.push(m);
    if (ring.length > room.settings.retention) ring.splice(0, ring.length - room.settings.retention);
    // Viewers here get it at this process's next tick, without the round trip through the bus.
    r.admit([encodeRoomMessage(m)]);
    this.schedule(r);
    return { id: m.id, priority: m.priority, createdAt: m.createdAt };
  }

  async mute(userId: string, f: ClientFrameOf<'room.mute'>): Promise<{ roomId: string; userId: string; seconds: number }> {
    await this.staff(userId, f.roomId);
    if (f.seconds === 0) await this.eph.delete(key(f.roomId, `mute:${f.userId}`));
    else await this.eph.set(key(f.roomId, `mute:${f.userId}`), userId, f.seconds * 1000);
    return { roomId: f.roomId, userId: f.userId, seconds: f.seconds };
  }

  async kick(userId: string, f: ClientFrameOf<'room.kick'>): Promise<{ roomId: string; userId: string }> {
    const room = await this.staff(userId, f.roomId);
    if (f.userId === room.hostId) throw new NatterError('forbidden', 'the host cannot be kicked');
    const seconds = f.seconds ?? DEFAULT_KICK_SECONDS;
    if (seconds > 0) await this.eph.set(key(f.roomId, `ban:${f.userId}`), userId, seconds * 1000);
    this.kickHere(f.roomId, f.userId);
    await this.bus.publish(roomTopic(f.roomId), encodeRoomEnvelope({ k: 'kick', u: f.userId })).catch((err: unknown) => this.onError(err));
    return { roomId: f.roomId, userId: f.userId };
  }

  private async staff(userId: string, roomId: string): Promise<Room> {
    const room = await this.room(roomId);
    if (room.hostId !== userId && !room.moderators.includes(userId)) throw new NatterError('forbidden', 'only the host and moderators do this');
    return room;
  }

  private kickHere(roomId: string, userId: string): void {
    const r = this.local.get(roomId);
    if (!r) return;
    const frame = outbound(JSON.stringify({ type: 'room.left', roomId, reason: 'kicked' }));
    for (const v of [...r.viewers]) {
      if (v.userId !== userId) continue;
      this.drop(v, roomId);
      v.conn.send(frame);
    }
  }

  private receive(roomId: string, payload: string): void {
    const r = this.local.get(roomId);
    if (!r || r.viewers.size === 0) return;
    const e = decodeRoomEnvelope(payload);
    if (e === null) return;
    switch (e.k) {
      case 't':
        if (e.p === this.o.processId) return;
        r.noteCount(e.p, e.v, this.clock.now());
        r.admit(e.m.map(encodeRoomMessage));
        return;
      case 'kick':
        this.kickHere(roomId, e.u);
        return;
      case 'meta':
        void this.loadMeta(roomId).catch((err: unknown) => this.onError(err));
        return;
    }
  }

  /** Runs the room's tick while it has viewers or sends to publish. */
  private schedule(r: LocalRoom): void {
    if (this.timers.has(r.id) || this.closed) return;
    this.timers.set(
      r.id,
      this.clock.setTimeout(() => {
        this.timers.delete(r.id);
        this.tick(r);
      }, r.room.settings.tickMs),
    );
  }

  private tick(r: LocalRoom): void {
    const now = this.clock.now();
    if (r.outgoing.length > 0 || (r.viewers.size > 0 && now - r.lastPublishedAt >= COUNT_EVERY_MS)) {
      const m = r.outgoing;
      r.outgoing = [];
      r.lastPublishedAt = now;
      void this.bus.publish(roomTopic(r.id), encodeRoomEnvelope({ k: 't', p: this.o.processId, v: r.viewers.size, m })).catch((err: unknown) => this.onError(err));
      if (m.length > 0) void this.saveRecent(r);
    }
    r.deliver(now);
    if (r.viewers.size > 0 || r.outgoing.length > 0) this.schedule(r);
    else if (this.local.get(r.id) === r) this.local.delete(r.id);
  }

  /** This process's own recent sends, for the joining viewers of processes that had none here. */
  private async saveRecent(r: LocalRoom): Promise<void> {
    try {
      await this.eph.set(key(r.id, `recent:${this.o.processId}`), JSON.stringify(this.ownRecent.get(r.id) ?? { high: [], normal: [] }), RECENT_TTL_MS);
      await this.eph.addMember(key(r.id, 'recent'), this.o.processId, RECENT_TTL_MS);
    } catch (err) {
      this.onError(err);
    }
  }

  /** A process's first viewer of a room: what every process sent recently, merged. */
  private async loadRecent(r: LocalRoom): Promise<void> {
    try {
      const processes = await this.eph.members(key(r.id, 'recent'));
      const lists = await Promise.all(processes.map((p) => this.eph.get(key(r.id, `recent:${p}`))));
      const all: RoomMessage[] = [];
      for (const l of lists) {
        if (l === null) continue;
        const own = JSON.parse(l) as { high: RoomMessage[]; normal: RoomMessage[] };
        all.push(...own.high, ...own.normal);
      }
      all.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      // Into the recent lists only: these were delivered live before anyone here watched.
      const viewers = [...r.viewers];
      r.viewers.clear();
      r.admit(all.filter((m) => !r.has(m.id)).map(encodeRoomMessage));
      for (const v of viewers) r.viewers.add(v);
    } catch (err) {
      this.onError(err);
    }
  }

  private async ephGet(k: string): Promise<string | null> {
    try {
      return await this.eph.get(k);
    } catch (err) {
      // Without Ephemeral, mutes and bans are not known: the room stays open rather than closed.
      this.onError(err);
      return null;
    }
  }

  private async limit(k: string, max: number, windowMs: number): Promise<void> {
    let count;
    try {
      count = await this.eph.increment(k, 1, windowMs);
    } catch (err) {
      this.onError(err);
      return;
    }
    if (count.count > max) throw new NatterError('rate_limited', 'too many messages in this room; slow down', { retryAfterMs: count.resetInMs });
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
  }
}
