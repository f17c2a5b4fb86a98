import { describe, expect, it } from 'vitest';
import type { Message } from '@natter/protocol';
import { check, checkUnread } from './checker.js';

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

describe('unread checker', () => {
  const other = (seq: number): Message => ({ ...msg(seq), senderId: 'u2' });
  const sys = (seq: number): Message => ({ ...msg(seq), type: 'system', clientMsgId: null });
  const logs = new Map([['c1', [sys(1), msg(2), other(3), msg(4), sys(5)]]]);
  const base = {
    members,
    serverLogs: logs,
    readSeqs: new Map([
      ['c1/u1', 4],
      ['c1/u2', 3],
    ]),
    readAtLeast: new Map([['c1/u1', 4]]),
    serverUnread: new Map([
      ['c1/u1', 0],
      ['c1/u2', 0],
    ]),
  };
  it('counts others\' messages after the cursor only, and passes lists that show exactly that', () => {
    const r = checkUnread({
      ...base,
      serverUnread: new Map([
        ['c1/u1', 0],
        ['c1/u2', 1],
      ]),
      devices: [
        { device: 'a', userId: 'u1', unread: new Map([['c1', 0]]), total: 0 },
        { device: 'b', userId: 'u2', unread: new Map([['c1', 1]]), total: 1 },
      ],
    });
    expect(r).toMatchObject({ unreadMismatches: 0, readCursorsBehind: 0 });
  });
  it('counts a device, a badge or a server view off the truth as mismatches, and a cursor behind an acknowledged read', () => {
    const r = checkUnread({
      ...base,
      readAtLeast: new Map([['c1/u2', 4]]),
      devices: [{ device: 'b', userId: 'u2', unread: new Map([['c1', 2]]), total: 2 }],
    });
    // u2's server view (0 for truth 1), device b's count and badge; u2's cursor is behind 4.
    expect(r.unreadMismatches).toBe(3);
    expect(r.readCursorsBehind).toBe(1);
  });
});
