/**
 * Usernames: how they are normalised, compared and refused. One rule for the whole server: the
 * stores key users by `usernameKey`, registration and the admin API check `usernameProblem`,
 * and lookups, search and login compare keys, so `Alice`, `alice` and `ａｌｉｃｅ` are one user.
 *
 * - Stored form: the name as typed, in Unicode NFKC (compatibility forms folded: full-width
 *   letters, ligatures, superscripts).
 * - Key: NFKC, lower-cased, NFKC again (lower-casing can undo normalisation, e.g. `İ`). For the
 *   ASCII names every earlier version accepted this is exactly `toLowerCase()`, the key they were
 *   stored with, so existing rows stay valid without recomputing anything.
 * - Characters: letters (with their combining marks), ASCII digits, `_`, `.` and `-`. Control,
 *   format (zero-width, bidi controls), space, symbols and other digits are refused.
 * - Lookalikes refused where cheap to decide: letters from more than one script in one name
 *   (Latin `a` next to Cyrillic `а`), except the mixes a language writes with (Han with Hiragana
 *   and Katakana, Han with Hangul). Whole-script lookalikes (a name written entirely in Cyrillic
 *   letters that look Latin) are not detected.
 */

export const USERNAME_MIN = 3;
export const USERNAME_MAX = 32;

/** The case-insensitive key users are stored and found by. */
export function usernameKey(name: string): string {
  return name.normalize('NFKC').toLowerCase().normalize('NFKC');
}

/** The form a new username is stored in. */
export function normaliseUsername(name: string): string {
  return name.normalize('NFKC');
}

const SCRIPTS = [
  'Latin', 'Greek', 'Cyrillic', 'Armenian', 'Hebrew', 'Arabic', 'Syriac', 'Thaana', 'Devanagari', 'Bengali', 'Gurmukhi',
  'Gujarati', 'Oriya', 'Tamil', 'Telugu', 'Kannada', 'Malayalam', 'Sinhala', 'Thai', 'Lao', 'Tibetan', 'Myanmar', 'Georgian',
  'Hangul', 'Ethiopic', 'Cherokee', 'Khmer', 'Mongolian', 'Hiragana', 'Katakana', 'Bopomofo', 'Han',
] as const;
const SCRIPT_RES = SCRIPTS.map((s) => [s, new RegExp(`\\p{Script=${s}}`, 'u')] as const);
/** Scripts one language writes together: a name may mix scripts only within one of these sets. */
const ALLOWED_MIXES: ReadonlySet<string>[] = [new Set(['Han', 'Hiragana', 'Katakana']), new Set(['Han', 'Hangul']), new Set(['Han', 'Bopomofo'])];

function scriptOf(letter: string): string {
  for (const [name, re] of SCRIPT_RES) if (re.test(letter)) return name;
  return 'Other';
}

/**
 * Why `name` (as typed) cannot be a new username, or null when it can. Checks the NFKC form, so
 * what is stored is what was checked.
 */
export function usernameProblem(name: string): string | null {
  const n = normaliseUsername(name);
  const chars = [...n];
  if (chars.length < USERNAME_MIN || chars.length > USERNAME_MAX) return `${USERNAME_MIN} to ${USERNAME_MAX} characters`;
  const scripts = new Set<string>();
  let previousWasLetter = false;
  for (const ch of chars) {
    if (/\p{L}/u.test(ch)) {
      scripts.add(scriptOf(ch));
      previousWasLetter = true;
    } else if (/\p{M}/u.test(ch)) {
      // A combining mark only on a letter (never stacked on `_` or a digit to disguise it).
      if (!previousWasLetter) return 'a combining mark must follow a letter';
    } else if (/[0-9_.-]/.test(ch)) {
      previousWasLetter = false;
    } else if (/[\p{Cc}\p{Cf}\p{Z}]/u.test(ch)) {
      return 'no control, invisible or space characters';
    } else {
      return 'letters, digits 0-9, _ . and - only';
    }
  }
  if (scripts.has('Other') && scripts.size > 1) return 'letters of one script only';
  if (scripts.size > 1 && !ALLOWED_MIXES.some((mix) => [...scripts].every((s) => mix.has(s)))) return 'letters of one script only';
  return null;
}
