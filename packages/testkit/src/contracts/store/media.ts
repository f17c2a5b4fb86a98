/** Store contract: media records (store/media.ts) — uploads, quota, attach/claim exclusion, access, recall. */
import { describe, expect, it } from 'vitest';
import type { MediaInfo } from '@natter/protocol';
import { T0, type StoreHarness } from './harness.js';

const INFO: MediaInfo = { mime: 'application/pdf', kind: 'file', size: 100 };

export function mediaContract(t: StoreHarness): void {
  describe('media', () => {
    const upload = async (owner: string, id: string, size = 100, quota = 1_000_000) =>
      t.store.createUpload({ id, ownerId: owner, name: 'a.pdf', declaredType: 'application/pdf', declaredSize: size, createdAt: T0 }, quota);
    const ready = async (owner: string, id: string) => {
      await upload(owner, id);
      expect(await t.store.advanceUpload(id, 0, 100)).toBe(true);
      return t.store.completeUpload(id, INFO, T0 + 1);
    };

    it('creates uploads within the quota, counting unfinished ones at their announced size', async () => {
      const alice = await t.user('alice');
      expect((await upload(alice, 'b1', 600, 1000)).kind).toBe('ok');
      expect(await upload(alice, 'b2', 500, 1000)).toEqual({ kind: 'over_quota', usedBytes: 600 });
      expect((await upload(alice, 'b3', 400, 1000)).kind).toBe('ok');
      const b = await t.store.getBlob('b1');
      expect(b).toMatchObject({ id: 'b1', ownerId: alice, state: 'uploading', declaredType: 'application/pdf', declaredSize: 600, received: 0, media: null, attachedAt: null });
    });

    it('advances only from the current offset, and completes only when every byte is in', async () => {
      const alice = await t.user('alice');
      await upload(alice, 'b1');
      expect(await t.store.advanceUpload('b1', 0, 40)).toBe(true);
      expect(await t.store.advanceUpload('b1', 0, 40)).toBe(false);
      expect(await t.store.advanceUpload('b1', 40, 101)).toBe(false);
      expect(await t.store.completeUpload('b1', INFO, T0)).toBeNull();
      expect(await t.store.advanceUpload('b1', 40, 100)).toBe(true);
      const done = await t.store.completeUpload('b1', INFO, T0 + 5);
      expect(done).toMatchObject({ state: 'ready', received: 100, media: INFO, completedAt: T0 + 5 });
      expect(await t.store.completeUpload('b1', INFO, T0 + 6)).toBeNull();
    });

    it('attaches only the owner’s ready blob; a collector claims only what nobody attached, and then nobody can', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      await ready(alice, 'kept');
      await ready(alice, 'orphan');
      await upload(alice, 'unfinished');
      expect(await t.store.attachBlob('kept', bob, T0 + 10)).toBeNull();
      expect(await t.store.attachBlob('unfinished', alice, T0 + 10)).toBeNull();
      expect(await t.store.attachBlob('kept', alice, T0 + 10)).toMatchObject({ attachedAt: T0 + 10 });
      expect(await t.store.attachBlob('kept', alice, T0 + 20)).toMatchObject({ attachedAt: T0 + 10 });
      const q = { now: T0 + 100, readyBefore: T0 + 50, uploadingBefore: T0 - 1, leaseUntil: T0 + 1000, limit: 10 };
      expect((await t.store.claimGarbage(q)).map((b) => b.id)).toEqual(['orphan']);
      // Claimed: a second collector does not get it while the lease holds, and a send cannot attach it.
      expect(await t.store.claimGarbage(q)).toEqual([]);
      expect(await t.store.attachBlob('orphan', alice, T0 + 101)).toBeNull();
      // The lease expired (the collector died): another takes it over.
      expect((await t.store.claimGarbage({ ...q, now: T0 + 2000, leaseUntil: T0 + 9000 })).map((b) => b.id)).toEqual(['orphan']);
      expect((await t.store.claimGarbage({ ...q, now: T0 + 4000, leaseUntil: T0 + 5000, uploadingBefore: T0 + 1 })).map((b) => b.id)).toEqual(['unfinished']);
      await t.store.deleteBlob('orphan');
      expect(await t.store.getBlob('orphan')).toBeNull();
    });

    it('access: uploader, members who joined before the message, not leavers nor strangers; recall stops it', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const carol = await t.user('carol');
      const dave = await t.user('dave');
      const g = await t.group(alice, [bob, carol]);
      await ready(alice, 'pic');
      expect(await t.store.readableBlob('pic', alice)).not.toBeNull();
      expect(await t.store.readableBlob('pic', bob)).toBeNull();
      const m = await t.send(g.id, alice, 'with picture');
      const seq = (await t.store.getConversationState(g.id))!.lastSeq;
      await t.store.addBlobRef({ blobId: 'pic', conversationId: g.id, messageId: m.id, seq });
      await t.store.addBlobRef({ blobId: 'pic', conversationId: g.id, messageId: m.id, seq });
      expect(await t.store.readableBlob('pic', bob)).toMatchObject({ id: 'pic', media: INFO });
      expect(await t.store.readableBlob('pic', dave)).toBeNull();
      await t.change(g.id, { kind: 'leave', userId: carol });
      expect(await t.store.readableBlob('pic', carol)).toBeNull();
      // Joined after the message: history before their join is not theirs.
      await t.change(g.id, { kind: 'add', userIds: [dave], by: alice });
      expect(await t.store.readableBlob('pic', dave)).toBeNull();
      expect(await t.store.recallBlobRefs(g.id, m.id)).toEqual(['pic']);
      expect(await t.store.readableBlob('pic', bob)).toBeNull();
      expect(await t.store.readableBlob('pic', alice)).toBeNull();
    });
  });
}
