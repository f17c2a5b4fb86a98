/**
 * The SQLite store's conversations and membership: creating them with their first entry,
 * the one direct conversation per pair, states and views, and membership changes as the rules
 * in ../rules/membership.ts decide them.
 */
import type Database from 'better-sqlite3';
import type { Conversation, Message, SystemBody } from '@natter/protocol';
import { toMemberRecord, toPreview, toView, toViewedMember, type ViewRow } from '../rows.js';
import { createdBody, directKey } from '../rules/conversations.js';
import { affectedBy, decideMembership, heirOf, involvedUsers, viewedUsers, type MemberRecord } from '../rules/membership.js';
import { parseGroupProfile, serializeLeftView } from '../rules/groups.js';
import { buildView } from '../rules/visibility.js';
import type {
  ConversationState,
  CreatedConversation,
  MembershipChange,
  MembershipOutcome,
  MemberView,
  NewConversation,
} from '../store.js';
import type { Statements } from './statements.js';

/** Conversations and membership; `state` and `view` are shared with sync.ts. */
export class SqliteConversations {
  constructor(
    private readonly db: Database.Database,
    private readonly s: Statements,
  ) {}

  appendSystem(conversationId: string, entryId: string, by: string, body: SystemBody, now: number): Message {
    const version = this.s.nextVersion.get()!.value;
    const { last_seq: seq, msg_count: msgIndex } = this.s.bumpSeq.get(version, conversationId)!;
    const text = JSON.stringify(body);
    this.s.insertMessage.run({
      conversationId,
      seq,
      id: entryId,
      senderId: by,
      type: 'system',
      body: text,
      clientMsgId: null,
      replyTo: null,
      createdAt: now,
      msgIndex,
      mentions: null,
    });
    return { id: entryId, conversationId, seq, senderId: by, type: 'system', body, clientMsgId: null, replyTo: null, createdAt: now };
  }

  /** Inserts the conversation, its first entry and its members; returns that entry. */
  private insertConversation(conv: NewConversation, key: string | null): Message {
    const version = this.s.nextVersion.get()!.value;
    this.s.insertConversation.run({
      id: conv.id,
      kind: conv.kind,
      title: conv.title,
      directKey: key,
      version,
      createdBy: conv.createdBy,
      createdAt: conv.createdAt,
    });
    const entry = this.appendSystem(conv.id, conv.createdMessageId, conv.createdBy, createdBody(conv), conv.createdAt);
    for (const m of conv.members) {
      this.s.upsertMember.run({ conversationId: conv.id, userId: m.userId, role: m.role, seq: entry.seq, version });
    }
    return entry;
  }

  async createConversation(conv: NewConversation): Promise<CreatedConversation> {
    return this.db.transaction(() => this.created(conv.id, this.insertConversation(conv, null))).immediate();
  }

  async openDirect(a: string, b: string, make: () => NewConversation): Promise<{ state: ConversationState; created: CreatedConversation | null }> {
    const key = directKey(a, b);
    return this.db
      .transaction(() => {
        const existing = this.s.conversationByDirectKey.get(key);
        if (existing) return { state: this.state(existing.id)!, created: null };
        const conv = make();
        const created = this.created(conv.id, this.insertConversation(conv, key));
        return { state: created.state, created };
      })
      .immediate();
  }

  /** What a creation returns, read in its transaction: the state, and every member's view. */
  private created(id: string, entry: Message): CreatedConversation {
    const state = this.state(id)!;
    return { state, entry, views: this.memberViews(state, state.members.map((m) => m.userId), entry) };
  }

  /** The views of `userIds` (members or former members) of the conversation in `state`. */
  memberViews(state: ConversationState, userIds: string[], entry: Message): MemberView[] {
    const active = state.members.map((m) => m.userId);
    const counts = this.s.counts.get(state.id)!;
    const conv = { ...state, msgCount: counts.msg_count, allMentionSeq: counts.all_mention_seq };
    // The entry just appended is the newest each of them may see (a leaver's last one too).
    return userIds.map((userId) => ({ userId, conversation: buildView(conv, toViewedMember(this.s.member.get(state.id, userId)!), active, entry) }));
  }

  state(id: string): ConversationState | null {
    const c = this.s.conversation.get(id);
    if (!c) return null;
    return {
      id: c.id,
      kind: c.kind,
      title: c.title,
      lastSeq: c.last_seq,
      createdAt: c.created_at,
      members: this.s.activeMembers.all(id).map((m) => ({ userId: m.user_id, role: m.role })),
      ...(c.kind === 'group' && { group: parseGroupProfile(c.group_profile) }),
    };
  }

  async getConversationState(id: string): Promise<ConversationState | null> {
    return this.state(id);
  }

  view(r: ViewRow): Conversation {
    return toView(r, r.state === 'active' ? this.s.activeMembers.all(r.id).map((m) => m.user_id) : [], toPreview(r, r.id));
  }

  async getConversationForUser(id: string, userId: string): Promise<Conversation | null> {
    const r = this.s.view.get(id, userId);
    return r ? this.view(r) : null;
  }

  async activeConversationIds(userId: string): Promise<string[]> {
    return this.s.activeConversationIds.all(userId).map((r) => r.conversation_id);
  }

  async changeMembership(conversationId: string, change: MembershipChange, entryId: string, now: number): Promise<MembershipOutcome> {
    return this.db
      .transaction((): MembershipOutcome => {
        const conv = this.s.conversation.get(conversationId);
        const members = new Map<string, MemberRecord>();
        for (const userId of conv ? involvedUsers(change) : []) {
          const row = this.s.member.get(conversationId, userId);
          if (row) members.set(userId, toMemberRecord(userId, row));
        }
        const standing =
          conv?.kind === 'group'
            ? { dissolved: parseGroupProfile(conv.group_profile).dissolvedAt !== null, activeCount: change.kind === 'add' ? this.s.activeMembers.all(conversationId).length : 0 }
            : undefined;
        const d = decideMembership(conv?.kind ?? null, change, members, standing);
        if (d.kind === 'not_found' || d.kind === 'forbidden' || d.kind === 'not_member' || d.kind === 'full' || d.kind === 'dissolved') return d;
        if (d.kind === 'noop') return { kind: 'noop', conversation: this.state(conversationId)! };
        const entry = this.appendSystem(conversationId, entryId, d.author, d.body, now);
        const version = this.s.nextVersion.get()!.value;
        let newOwner: string | null = null;
        switch (d.kind) {
          case 'join':
            for (const userId of d.userIds) this.s.upsertMember.run({ conversationId, userId, role: 'member', seq: entry.seq, version });
            break;
          case 'role':
            this.s.setRole.run(d.role, version, conversationId, d.userId);
            break;
          case 'leave':
            this.s.memberLeft.run({
              conversationId,
              userId: d.userId,
              seq: entry.seq,
              version,
              leftView: serializeLeftView(conv!.title, conv!.kind === 'group' ? parseGroupProfile(conv!.group_profile) : undefined),
            });
            if (d.passOwnership) {
              const rest = this.s.activeMembers.all(conversationId).map((m) => toMemberRecord(m.user_id, { ...m, state: 'active', left_seq: null }));
              newOwner = heirOf(rest, d.userId);
              if (newOwner !== null) this.s.setRole.run('owner', version, conversationId, newOwner);
            }
            break;
        }
        const state = this.state(conversationId)!;
        const affected = affectedBy(d);
        return { kind: 'ok', entry, conversation: state, affected, newOwner, views: this.memberViews(state, viewedUsers(affected, newOwner), entry) };
      })
      .immediate();
  }
}
