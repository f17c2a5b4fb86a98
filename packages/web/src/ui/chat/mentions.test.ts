import { describe, expect, it } from 'vitest';
import {
  insertMention,
  type MentionCandidate,
  mentionedIds,
  mentionQuery,
  suggestionsFor,
} from './mentions.js';

const ann: MentionCandidate = { id: 'u-ann', handle: 'ann', label: 'Ann Lee' };
const annabel: MentionCandidate = { id: 'u-annabel', handle: 'annabel', label: 'Annabel' };
const dotted: MentionCandidate = { id: 'u-dot', handle: 'b.o', label: 'Bo' };
const all: MentionCandidate = { id: 'all', handle: 'all', label: 'Everyone in this group' };

describe('composer mentions', () => {
  it('suggests only for an @word right before the caret, not an address', () => {
    expect(mentionQuery('hi @An', 6)).toBe('an');
    expect(mentionQuery('@', 1)).toBe('');
    expect(mentionQuery('mail ann@example.org', 20)).toBeNull();
    // The caret moved back before the @word: nothing is being typed there.
    expect(mentionQuery('hi @ann and', 3)).toBeNull();
  });

  it('matches a handle or a display name by its start, at most six', () => {
    expect(suggestionsFor([ann, annabel, dotted], 'ann')).toEqual([ann, annabel]);
    expect(suggestionsFor([ann, annabel, all], 'every')).toEqual([all]);
    expect(suggestionsFor([ann], null)).toEqual([]);
    const many = Array.from({ length: 9 }, (_, i) => ({ id: `u${i}`, handle: `x${i}`, label: `X ${i}` }));
    expect(suggestionsFor(many, 'x')).toHaveLength(6);
  });

  it('picking replaces the @word with the handle and a space, keeping the text after the caret', () => {
    expect(insertMention('hi @an and more', 6, 'annabel')).toEqual({
      text: 'hi @annabel  and more',
      caret: 12,
    });
  });

  it('mentions who is still named when sent: whole handles only, dots taken literally', () => {
    expect(mentionedIds([ann, annabel, dotted, all], '@ann, see this')).toEqual(['u-ann']);
    expect(mentionedIds([ann, annabel], 'ask @annabel')).toEqual(['u-annabel']);
    expect(mentionedIds([dotted], 'hey @bxo')).toEqual([]);
    expect(mentionedIds([dotted, all], '@b.o and @all!')).toEqual(['u-dot', 'all']);
    expect(mentionedIds([ann], 'mail ann@example.org')).toEqual([]);
  });
});
