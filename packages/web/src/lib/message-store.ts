/**
 * The messages the app holds, per conversation, in log order (seq): what arrived live, what the
 * SDK's cache had when a chat was first opened, and older pages loaded as the reader scrolls up.
 * A message that changes (edit, recall, reaction, delete for me) is replaced where it stands.
 */
import type { Message } from '@natter/client';

const bySeq = (a: Message, b: Message) => a.seq - b.seq;

export class MessageStore {
  private readonly lists = new Map<string, Message[]>();
  /** Conversations whose cached history has been merged in (opened at least once). */
  private readonly loadedHistory = new Set<string>();

  /** The loaded messages of a conversation, oldest first. */
  of(conversationId: string): Message[] {
    return this.lists.get(conversationId) ?? [];
  }

  first(conversationId: string): Message | undefined {
    return this.lists.get(conversationId)?.[0];
  }

  last(conversationId: string): Message | undefined {
    return this.lists.get(conversationId)?.at(-1);
  }

  hasSeq(conversationId: string, seq: number): boolean {
    return this.lists.get(conversationId)?.some((m) => m.seq === seq) ?? false;
  }

  /** A message from the live stream; one already held (same seq) is left as it is. */
  add(m: Message): void {
    const list = this.lists.get(m.conversationId);
    if (list && !list.some((x) => x.seq === m.seq)) {
      list.push(m);
      list.sort(bySeq);
    } else if (!list) {
      this.lists.set(m.conversationId, [m]);
    }
  }

  /** A newer version of a held message (edited, recalled, reacted to, hidden); unknown ones are ignored. */
  replace(m: Message): void {
    const list = this.lists.get(m.conversationId);
    const i = list?.findIndex((x) => x.id === m.id) ?? -1;
    if (list && i >= 0) list[i] = m;
  }

  /** Whether a conversation's cached history has been merged in since it was first seen. */
  isLoaded(conversationId: string): boolean {
    return this.lists.has(conversationId) && this.loadedHistory.has(conversationId);
  }

  /**
   * Merges what the SDK's cache holds with what arrived live (the live copy wins a tie) and
   * returns how many messages the conversation now has.
   */
  mergeCached(conversationId: string, cached: Message[]): number {
    const merged = new Map<number, Message>();
    for (const m of [...cached, ...this.of(conversationId)]) merged.set(m.seq, m);
    this.lists.set(conversationId, [...merged.values()].sort(bySeq));
    this.loadedHistory.add(conversationId);
    return merged.size;
  }

  /** An older page of history, put before what is held (seqs already held are skipped). */
  prepend(conversationId: string, older: Message[]): void {
    const list = this.of(conversationId);
    const seen = new Set(list.map((m) => m.seq));
    this.lists.set(conversationId, [...older.filter((m) => !seen.has(m.seq)), ...list].sort(bySeq));
  }
}
