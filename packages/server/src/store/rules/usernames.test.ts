import { describe, expect, it } from 'vitest';
import { usernameKey, usernameProblem } from './usernames.js';

describe('usernames', () => {
  it('keys are case-insensitive and fold compatibility forms', () => {
    expect(usernameKey('Alice')).toBe('alice');
    expect(usernameKey('ＡＬＩＣＥ')).toBe('alice');
    expect(usernameKey('ﬁona')).toBe('fiona');
    expect(usernameKey('ÉCOLE')).toBe(usernameKey('e\u0301cole'));
  });

  it('every name the ASCII rule accepted keeps the key it was stored with (toLowerCase)', () => {
    for (const name of ['alice', 'Bob_99', 'x.y-z', 'A_B.C-D', '___', '...', 'ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ']) {
      expect(usernameProblem(name)).toBeNull();
      expect(usernameKey(name)).toBe(name.toLowerCase());
    }
  });

  it('accepts single-script names and the mixes a language writes with', () => {
    for (const ok of ['王小明', 'たなか太郎', 'Ελένη', 'Дмитрий', '김민준', 'José_2', 'محمد', 'क्षत्रिय']) expect(usernameProblem(ok)).toBeNull();
  });

  it('refuses invisible, control and bidi characters', () => {
    for (const bad of ['ali\u200Bce', 'ali\u200Dce', '\u202Eecila', 'ali\u0000ce', 'ali ce', 'ali\u00A0ce', 'ali\uFEFFce', 'ali\u2066ce']) {
      expect(usernameProblem(bad), JSON.stringify(bad)).not.toBeNull();
    }
  });

  it('refuses mixed-script lookalikes', () => {
    expect(usernameProblem('p\u0430ypal')).not.toBeNull(); // Cyrillic а among Latin letters
    expect(usernameProblem('\u0391dmin')).not.toBeNull(); // Greek Α
    expect(usernameProblem('王ming')).not.toBeNull();
  });

  it('refuses symbols, other digits, stray marks and lengths out of range', () => {
    for (const bad of ['al', 'a'.repeat(33), 'al!ce', 'al@ce', '٣٣٣abc', '_\u0301abc', '😀😀😀']) expect(usernameProblem(bad), bad).not.toBeNull();
  });
});
