/**
 * Delivery's subscription to domain events on the process that committed: each event becomes
 * the bus payloads that carry it to every process serving its recipients, encoded once.
 * Never throws (Topics.publish does not): what is published is already stored.
 */
import { conversationTopic, userTopic } from '../../bus/bus.js';
import type { DomainEvent, MembershipChanged } from '../events.js';
import { encodeFrame } from '@natter/protocol';
import { encodeEntry, encodeEphemeral, encodeUserEnvelope, entryFrame, RESYNC_PAYLOAD, sentMessageFrame, type UserEnvelope } from './codec.js';
import type { Topics } from './topics.js';

export class Publisher {
  constructor(private readonly topics: Topics) {}

  async handle(event: DomainEvent): Promise<void> {
    switch (event.type) {
      case 'message.stored': {
        const m = event.message;
        const payload = encodeEntry({ seq: event.seq, frame: sentMessageFrame(m, event.seq), senderId: m.senderId, clientMsgId: m.clientMsgId });
        return this.topics.publish(conversationTopic(m.conversationId), payload);
      }
      case 'message.retried':
        // Members may never have had it live; asking them to sync reaches only who may see it
        // (re-sending the entry would also reach members who joined after it).
        return this.topics.publish(conversationTopic(event.conversationId), RESYNC_PAYLOAD);
      case 'membership.changed':
        return this.membership(event);
      case 'message.acted':
        // The action's entry reaches every member's devices as any entry does.
        return this.topics.publish(conversationTopic(event.conversationId), encodeEntry({ seq: event.entry.seq, frame: entryFrame(event.entry) }));
      case 'message.hidden':
        // The user's own devices only: the log and everyone else's copies are untouched.
        return this.toUser(event.userId, { k: 'hidden', hidden: event.hidden });
      case 'message.unhidden':
        return this.toUser(event.userId, { k: 'unhidden', unhidden: event.unhidden });
      case 'cursor.moved':
        // The user's other devices update their unread state at once.
        if (event.cursor === 'read' && event.view) return this.toUser(event.userId, { k: 'view', conversation: event.view });
        return;
      case 'conversation.flags':
        // Every device of the user converges: the same view, now (and through its next sync).
        return this.toUser(event.userId, { k: 'view', conversation: event.view });
      case 'device.revoked':
        return this.toUser(event.userId, { k: 'revoke', deviceIds: event.deviceIds });
      case 'receipt.updated': {
        // Encoded once for all its recipients.
        const payload = encodeUserEnvelope({ k: 'receipt', receipt: event.receipt });
        await Promise.all(event.to.map((u) => this.topics.publish(userTopic(u), payload)));
        return;
      }
      case 'settings.changed':
        return;
      case 'contact.changed':
        return this.toUser(event.userId, { k: 'contact', event: event.event });
      case 'typing.changed': {
        const { conversationId, userId, state, ttlMs } = event;
        const frame = encodeFrame({ type: 'typing', conversationId, userId, state, ttlMs });
        return this.topics.publish(conversationTopic(conversationId), encodeEphemeral(userId, frame));
      }
      case 'presence.changed': {
        const payload = encodeUserEnvelope({ k: 'presence', presence: event.presence });
        await Promise.all(event.audience.map((u) => this.topics.publish(userTopic(u), payload)));
        return;
      }
    }
  }

  private async membership(e: MembershipChanged): Promise<void> {
    const removedUserId = e.change === 'removed' || e.change === 'left' ? e.left[0]?.userId : undefined;
    const entry = encodeEntry({ seq: e.entry.seq, frame: entryFrame(e.entry), removedUserId: removedUserId ?? null });
    // New members' processes must subscribe before the entry is published, so they get it live.
    for (const v of e.joined) await this.toUser(v.userId, { k: 'joined', conversation: v.conversation });
    await this.topics.publish(conversationTopic(e.conversationId), entry);
    // Removed members get the entry that removed them, then nothing more.
    for (const v of e.left) await this.toUser(v.userId, { k: 'left', conversation: v.conversation });
    // A new role, or ownership inherited: their devices learn it now, not at their next sync.
    for (const v of e.updated) await this.toUser(v.userId, { k: 'view', conversation: v.conversation });
  }

  private toUser(userId: string, e: UserEnvelope): Promise<void> {
    return this.topics.publish(userTopic(userId), encodeUserEnvelope(e));
  }
}
