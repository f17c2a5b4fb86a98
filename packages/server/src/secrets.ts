/**
 * Start-up checks of the configured secrets (JWT_SECRET, ADMIN_API_KEY, METRICS_TOKEN). A value
 * copied from the documentation, or one character repeated, is refused: such a secret is the
 * first thing anyone tries. A value that is merely guessable (few distinct characters, little
 * entropy for its length, a common password) starts with a warning, because refusing it could
 * stop a working deployment at an upgrade.
 */
import { isCommonPassword } from './core/passwords.js';

/** Example values from docs/ (api.md, configuration.md, deployment.md). */
const DOCUMENTED_PLACEHOLDERS = new Set([
  'change-me-to-at-least-24-characters',
  '…at-least-32-characters…',
  '…at-least-24-characters…',
]);
/** Words that mark a value as a placeholder nobody replaced. */
const PLACEHOLDER_WORDS = /change-?me|replace-?me|at-least-\d+-char/i;

/** Why the value must not be used, or null. */
export function placeholderProblem(value: string): string | null {
  if (DOCUMENTED_PLACEHOLDERS.has(value) || PLACEHOLDER_WORDS.test(value))
    return 'is a placeholder from the documentation; generate a random value (openssl rand -base64 48)';
  if (/^(.)\1*$/su.test(value))
    return 'is one character repeated; generate a random value (openssl rand -base64 48)';
  return null;
}

/** Why the value is weak (a warning, not an error), or null. */
export function weaknessProblem(value: string): string | null {
  const distinct = new Set(value).size;
  if (isCommonPassword(value)) return 'is a common password';
  if (distinct < 10) return `uses only ${distinct} distinct characters`;
  // Entropy as if drawn at random from the classes of characters it uses: an upper bound.
  let alphabet = 0;
  if (/[a-z]/.test(value)) alphabet += 26;
  if (/[A-Z]/.test(value)) alphabet += 26;
  if (/[0-9]/.test(value)) alphabet += 10;
  if (/[^a-zA-Z0-9]/.test(value)) alphabet += 32;
  const bits = Math.floor(Math.log2(alphabet) * Math.min(value.length, distinct * 4));
  if (bits < 128) return `has at most ${bits} bits of entropy (128 or more expected)`;
  return null;
}
