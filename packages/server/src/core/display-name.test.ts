import { describe, expect, it } from 'vitest';
import { displayNameProblem } from './display-name.js';

describe('displayNameProblem', () => {
  it.each([
    ['NUL', 'ali\u0000ce'],
    ['a newline', 'alice\nbob'],
    ['an escape sequence', '\u001b[31malice'],
    ['a right-to-left override', 'alice\u202Etxt.exe'],
    ['a left-to-right isolate', '\u2066alice'],
    ['a right-to-left mark', 'alice\u200F'],
    ['a zero-width space', 'ali\u200Bce'],
    ['a word joiner', 'ali\u2060ce'],
    ['a byte-order mark', '\uFEFFalice'],
    ['a soft hyphen', 'ali\u00ADce'],
    ['a Hangul filler (blank-looking name)', '\u3164'],
    ['a zero-width joiner at the end', 'alice\u200D'],
    ['two joiners in a row', 'a\u200D\u200Db'],
    ['a stray tag character (hidden text)', 'alice\u{E0041}\u{E0042}'],
    ['a line separator', 'alice\u2028bob'],
  ])('refuses %s', (_what, name) => {
    expect(displayNameProblem(name)).not.toBeNull();
  });

  it.each([
    ['plain text', 'Ada Lovelace'],
    ['accents and CJK', 'Zoë 李小龍'],
    ['Arabic (right-to-left without overrides)', 'مريم'],
    ['a family emoji joined with ZWJ', '👨\u200D👩\u200D👧'],
    ['a red heart with its variation selector', '❤\uFE0F fan'],
    ['Persian with a ZWNJ', 'می\u200Cخواهم'],
    [
      'the Scotland flag (tag sequence)',
      'Ada \u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}',
    ],
  ])('accepts %s', (_what, name) => {
    expect(displayNameProblem(name)).toBeNull();
  });
});
