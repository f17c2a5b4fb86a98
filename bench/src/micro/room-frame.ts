/**
 * Micro-benchmark of a live room's tick frame in its wire forms: JSON (`room`), compact
 * (`room~`), and each deflated (raw DEFLATE, as permessage-deflate with no context takeover
 * would send it). A tick's frame is built once and shared by every viewer, so compression costs
 * once per tick per room while the bytes it saves are saved once per viewer. Prints bytes per
 * message and µs per frame for each form, at a few messages per tick.
 *
 *   node bench/dist/micro/room-frame.js [iterations=2000]
 */
import { deflateRawSync } from 'node:zlib';
import { encodeRoomMessage, roomFrame } from '@natter/server';

const iterations = Number(process.argv[2] ?? 2000);
const texts = ['666', 'lol this is great', 'gg', 'hello from the back row', 'can you play that again?', '哈哈哈哈', 'first time here, love it', '🔥🔥🔥'];
let n = 0;
const message = (i: number) =>
  encodeRoomMessage({
    id: `m_${(1_764_640_000_000 + i).toString(16).padStart(12, '0')}${Math.random().toString(36).slice(2, 18)}`,
    roomId: 'r_Xq3bT0c9kQf1mW8aZs2LdA',
    senderId: `u_${Math.random().toString(36).slice(2, 24)}`,
    type: i % 50 === 0 ? 'gift' : 'text',
    body: i % 50 === 0 ? { gift: 'rocket', count: 1 } : { text: texts[i % texts.length] },
    priority: i % 50 === 0 ? 'high' : 'normal',
    createdAt: 1_764_640_000_000 + i,
  });

const rows: string[] = ['| messages per tick | form | bytes per frame | bytes per message | µs to build (and deflate) one frame |', '|---:|---|---:|---:|---:|'];
for (const perTick of [1, 5, 20, 100]) {
  const msgs = Array.from({ length: perTick }, () => message(n++));
  for (const encoding of ['json', 'compact'] as const) {
    for (const deflate of [false, true]) {
      let bytes = 0;
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < iterations; i++) {
        const f = roomFrame(encoding, 'r_Xq3bT0c9kQf1mW8aZs2LdA', 15000 + i, msgs, 0);
        bytes = deflate ? deflateRawSync(Buffer.from(f.json), { level: 1 }).length : Buffer.byteLength(f.json);
      }
      const us = Number(process.hrtime.bigint() - t0) / 1000 / iterations;
      rows.push(`| ${perTick} | ${encoding}${deflate ? ' + deflate' : ''} | ${bytes} | ${(bytes / perTick).toFixed(1)} | ${us.toFixed(1)} |`);
    }
  }
}
process.stdout.write(rows.join('\n') + '\n');
