/**
 * Typing and presence as NatterClient serves them (docs/presence.md): the requests, and the
 * state they and the pushes feed (presence.ts), asked again after each reconnect. NatterClient
 * exposes the public methods, documented there.
 */
import { PRESENCE_LIMITS, type Presence, type TypingPush } from '@natter/protocol/wire';
import type { Connection } from './connection.js';
import { PresenceState, TypingState, type TypingEvent } from './presence.js';
import type { Rpc } from './rpc.js';

export class PresenceApi {
  private readonly typingState: TypingState;
  private readonly presenceState: PresenceState;

  constructor(
    private readonly conn: Connection,
    private readonly rpc: Rpc,
    emit: { typing(e: TypingEvent): void; presence(p: Presence): void },
  ) {
    this.typingState = new TypingState((e) => emit.typing(e));
    this.presenceState = new PresenceState((p) => emit.presence(p));
  }

  onTypingPush(frame: TypingPush): void {
    this.typingState.onPush(frame);
  }

  onPresencePush(p: Presence): void {
    this.presenceState.apply(p);
  }

  async typing(conversationId: string): Promise<void> {
    // Offline, it is not queued: typing that arrives late is worse than none.
    if (this.conn.current.status !== 'online' || !this.typingState.startDue(conversationId)) return;
    await this.conn.request({ type: 'typing', conversationId, state: 'start' });
  }

  async stopTyping(conversationId: string): Promise<void> {
    if (!this.typingState.stopDue(conversationId) || this.conn.current.status !== 'online') return;
    await this.conn.request({ type: 'typing', conversationId, state: 'stop' });
  }

  typists(conversationId: string): string[] {
    return this.typingState.typing(conversationId);
  }

  async getPresence(userIds: string[]): Promise<Presence[]> {
    const out: Presence[] = [];
    for (let i = 0; i < userIds.length; i += PRESENCE_LIMITS.usersPerQuery) {
      const chunk = userIds.slice(i, i + PRESENCE_LIMITS.usersPerQuery);
      const r = await this.rpc((c) => c.request({ type: 'presence.get', userIds: chunk }));
      for (const p of r.users) this.presenceState.apply(p);
      out.push(...r.users);
    }
    return out;
  }

  presenceOf(userId: string): Presence | undefined {
    return this.presenceState.get(userId);
  }

  setPresenceVisible(visible: boolean): Promise<{ visible: boolean }> {
    return this.rpc((c) => c.request({ type: 'presence.setVisible', visible }));
  }

  /** After a reconnect: pushes missed while away, so ask again about everyone this client has heard of. */
  async refresh(): Promise<void> {
    const ids = this.presenceState.userIds();
    if (ids.length > 0) await this.getPresence(ids);
  }

  /** Stops the typing lapse timers. */
  dispose(): void {
    this.typingState.dispose();
  }
}
