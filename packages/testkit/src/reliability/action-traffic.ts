/**
 * Message-action traffic for the checker scenario: a device recalls and edits its own recent
 * messages and reacts or unreacts (a few emoji) to messages it has shown, at random from the
 * scenario's seeded generator, through its SDK client. Every attempt is recorded with how it
 * ended (action-checker.ts decides what the final state may then be); one whose answer was lost
 * to a fault is tried once more, as a user would tap again.
 */
import type { Message } from '@natter/protocol';
import type { NatterClient } from '@natter/client';
import type { ActionAttempt, ActionOutcome } from './action-checker.js';

export const EMOJIS = ['👍', '❤️', '😂'] as const;

/** Server answers that mean nothing was done (docs/protocol.md "Message actions"). */
const REFUSALS = new Set(['not_found', 'recall_window_passed', 'rate_limited', 'invalid_request', 'too_large']);

export interface ActingDevice {
  name: string;
  userId: string;
  client: NatterClient;
  displayed: Message[];
}

type Action = Pick<ActionAttempt, 'conversationId' | 'messageId' | 'kind' | 'text' | 'emoji'>;

export class ActionTraffic {
  readonly attempts: ActionAttempt[] = [];
  /** messageId → the text it was sent with. */
  readonly originals = new Map<string, string>();
  /** device name → its own acknowledged messages, oldest first. */
  private readonly own = new Map<string, { conversationId: string; id: string }[]>();
  private edits = 0;

  constructor(private readonly rand: () => number) {}

  /** A send of `device` was acknowledged: it may now recall or edit it. */
  sent(device: string, conversationId: string, id: string, text: string): void {
    this.originals.set(id, text);
    let list = this.own.get(device);
    if (!list) this.own.set(device, (list = []));
    list.push({ conversationId, id });
  }

  /**
   * One action of `d`, chosen at random, answered (never rejects). Targets are recent, so that
   * actions pile up on few messages (edits on an edited message, reactions from two devices of
   * one user) and recalls stay inside the recall window.
   */
  async act(d: ActingDevice): Promise<void> {
    const action = this.pick(d);
    if (!action) return;
    const outcome = await this.attempt(d, action);
    if (outcome === 'cut' || outcome === 'unknown') await this.attempt(d, action);
  }

  private pick(d: ActingDevice): Action | undefined {
    const choose = <T>(xs: readonly T[]): T | undefined => xs[Math.floor(this.rand() * xs.length)];
    const r = this.rand();
    const mine = choose((this.own.get(d.name) ?? []).slice(-6));
    if (r < 0.12 && mine) return { conversationId: mine.conversationId, messageId: mine.id, kind: 'recall' };
    if (r < 0.4 && mine) return { conversationId: mine.conversationId, messageId: mine.id, kind: 'edit', text: `${d.name} edit ${++this.edits}` };
    if (r >= 0.75) {
      // Take back one of this user's recent reactions (from either of its devices), so removals
      // change something and meet the other device's adds.
      const ours = choose(this.attempts.filter((a) => a.kind === 'react' && a.userId === d.userId).slice(-8));
      if (ours) return { conversationId: ours.conversationId, messageId: ours.messageId, kind: 'unreact', emoji: ours.emoji! };
    }
    // The last few messages of one conversation: reactions meet on them, and reach recalled ones.
    const texts = d.displayed.filter((m) => m.type === 'text');
    const conv = choose([...new Set(texts.map((m) => m.conversationId))]);
    const shown = choose(texts.filter((m) => m.conversationId === conv).slice(-8));
    if (!shown) return undefined;
    return { conversationId: shown.conversationId, messageId: shown.id, kind: 'react', emoji: choose(EMOJIS)! };
  }

  private async attempt(d: ActingDevice, action: Action): Promise<ActionOutcome> {
    const startedAt = performance.now();
    let outcome: ActionOutcome;
    try {
      const { conversationId: c, messageId: m } = action;
      if (action.kind === 'recall') await d.client.recall(c, m);
      else if (action.kind === 'edit') await d.client.edit(c, m, action.text!);
      else if (action.kind === 'react') await d.client.react(c, m, action.emoji!);
      else await d.client.unreact(c, m, action.emoji!);
      outcome = 'acked';
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      outcome = code === 'disconnected' ? 'cut' : typeof code === 'string' && REFUSALS.has(code) ? 'refused' : 'unknown';
    }
    this.attempts.push({ ...action, device: d.name, userId: d.userId, startedAt, endedAt: performance.now(), outcome });
    return outcome;
  }
}
