import { describe, expect, it } from 'vitest';
import type { Message } from '@natter/protocol';
import { check } from './checker.js';

const msg = (seq: number, id = `m${seq}`, clientMsgId: string | null = `k${seq}`): Message => ({
  id,
  conversationId: 'c1',
  seq,
  senderId: 'u1',
  type: 'text',
  body: { text: id },
  clientMsgId,
  replyTo: null,
  createdAt: 0,
});
const members = new Map([['c1', ['u1', 'u2']]]);
const log = [msg(1), msg(2), msg(3)];
const acks = log.map((m) => ({ conversationId: 'c1', clientMsgId: m.clientMsgId!, senderId: 'u1', id: m.id, seq: m.seq }));
const run = (displayed: Message[], serverLog = log) =>
  check({ acks, members, serverLogs: new Map([['c1', serverLog]]), devices: [{ device: 'd', userId: 'u2', displayed }] });

describe('checker', () => {
  it('passes a faithful history', () => {
    expect(run(log)).toMatchObject({ lost: 0, duplicated: 0, reordered: 0, divergent: 0, checked: 3 });
  });
  it('counts an acknowledged message a member never displayed as lost', () => {
    expect(run([msg(1), msg(3)]).lost).toBe(1);
  });
  it('counts a message displayed twice, and a clientMsgId stored twice, as duplicated', () => {
    expect(run([msg(1), msg(2), msg(2), msg(3)]).duplicated).toBeGreaterThanOrEqual(1);
    expect(run(log, [msg(1), msg(2), msg(3, 'm3', 'k2')]).duplicated).toBe(1);
  });
  it('counts out-of-order display as reordered', () => {
    expect(run([msg(1), msg(3), msg(2)]).reordered).toBe(1);
  });
  it('counts a device showing something else at a seq as divergent', () => {
    expect(run([msg(1), msg(2, 'other'), msg(3)]).divergent).toBeGreaterThanOrEqual(1);
  });
});
