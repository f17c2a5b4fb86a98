/**
 * What a display name may contain. Names are shown to other users next to messages, so
 * characters that change how *surrounding* text reads are refused: controls (NUL, newlines,
 * escapes), bidirectional overrides and isolates (which can make "alice‮txt.exe" read
 * backwards), and invisible characters that let two names look identical or hide text
 * (zero-width spaces, word joiners, Unicode tags outside flag emoji). Joiners and variation
 * selectors stay allowed where writing needs them: ZWJ/ZWNJ between two visible characters
 * (emoji sequences, Persian, Indic scripts) and variation selectors after one.
 */

/** Controls, line/paragraph separators, and default-ignorable code points. */
const INVISIBLE = /[\p{Cc}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u;
/** Allowed invisible sequences, removed before the check above. */
const ALLOWED_SEQUENCES = [
  // ZWNJ / ZWJ between two characters that are not themselves invisible or spaces.
  /(?<=[^\s\p{Cc}\p{Default_Ignorable_Code_Point}])[\u200C\u200D](?=[^\s\p{Cc}\p{Default_Ignorable_Code_Point}])/gu,
  // Variation selectors (emoji vs text presentation, CJK variants) right after a visible character.
  /(?<=[^\s\p{Cc}\p{Default_Ignorable_Code_Point}])[\uFE00-\uFE0F\u{E0100}-\u{E01EF}]/gu,
  // Subdivision flags: a waving black flag, tag letters, and a cancel tag (🏴 + tags).
  /\u{1F3F4}[\u{E0030}-\u{E0039}\u{E0061}-\u{E007A}]{1,7}\u{E007F}/gu,
];

/** Why a display name is refused, or null when it is fine. */
export function displayNameProblem(name: string): string | null {
  let rest = name;
  for (const allowed of ALLOWED_SEQUENCES)
    rest = rest.replace(allowed, (m) => (m.startsWith('\u{1F3F4}') ? '\u{1F3F4}' : ''));
  if (INVISIBLE.test(rest)) return 'control, bidirectional or invisible characters are not allowed';
  return null;
}
