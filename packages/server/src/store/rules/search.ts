/**
 * Message search rules shared by every Store (docs/search.md): what a query's terms are, what
 * text of a message is searched, when a text matches, and the page order. Pure functions.
 *
 * A term matches a text that contains it as a substring, ASCII letters compared
 * case-insensitively (other scripts exactly, so the three stores agree). Substrings rather than
 * words make Chinese, Japanese and other text without spaces searchable with no segmenter:
 * SQLite finds candidates through an FTS5 `trigram` index (terms of 3+ characters) and
 * PostgreSQL through a `pg_trgm` index; both then check every term as below.
 */
import { SEARCH_LIMITS } from '@natter/protocol';
import type { SearchCursor } from '../search.js';

/** Terms of at least this many characters (code points) can use a trigram index. */
export const TRIGRAM_MIN = 3;

/** The message types whose text is searched, and where: `text` for text, `caption` for media. */
export const SEARCHED_TYPES = ['text', 'image', 'file', 'voice', 'video'] as const;

/** The query's terms: split at whitespace, empty and repeated ones dropped, at most termsMax. */
export function searchTerms(query: string): string[] {
  const out: string[] = [];
  for (const t of query.trim().split(/\s+/u)) {
    if (t !== '' && !out.includes(t)) out.push(t);
    if (out.length === SEARCH_LIMITS.termsMax) break;
  }
  return out;
}

/** The searched text of a message: its text, or a media message's caption; null when none. */
export function searchableText(type: string, body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return null;
  const field = type === 'text' ? 'text' : (SEARCHED_TYPES as readonly string[]).includes(type) ? 'caption' : null;
  const v = field ? (body as Record<string, unknown>)[field] : undefined;
  return typeof v === 'string' && v !== '' ? v : null;
}

const asciiLower = (s: string): string => s.replace(/[A-Z]+/g, (c) => c.toLowerCase());

/** Whether `text` contains every term (ASCII letters case-insensitively). */
export function matchesTerms(text: string, terms: readonly string[]): boolean {
  const t = asciiLower(text);
  return terms.every((term) => t.includes(asciiLower(term)));
}

/** A LIKE pattern (ESCAPE '\') matching texts that contain `term`. */
export function containsPattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Whether a term is long enough for a trigram index. */
export const indexable = (term: string): boolean => [...term].length >= TRIGRAM_MIN;

/**
 * An FTS5 query for SQLite's trigram index (store/sqlite/search-indexer.ts): every trigram of
 * every indexable term, each a one-token phrase, ANDed; null when no term is indexable. The
 * index keeps no positions (`detail=none`), so a term cannot be a phrase: its trigrams in any
 * order find a superset, which the LIKE check of each term then narrows to the exact answer.
 */
export function ftsQuery(terms: readonly string[]): string | null {
  const trigrams = new Set<string>();
  for (const term of terms.filter(indexable)) {
    const cps = [...term];
    for (let i = 0; i + TRIGRAM_MIN <= cps.length; i++) trigrams.add(cps.slice(i, i + TRIGRAM_MIN).join(''));
  }
  return trigrams.size > 0 ? [...trigrams].map((t) => `"${t.replace(/"/g, '""')}"`).join(' AND ') : null;
}

/** Whether a hit at (createdAt, id) comes after `cursor` in the page order (newest first). */
export function pastCursor(createdAt: number, id: string, cursor: SearchCursor | undefined): boolean {
  if (!cursor) return true;
  return createdAt < cursor.createdAt || (createdAt === cursor.createdAt && id < cursor.id);
}

/** Page order: newest first, then by id descending. */
export function newestFirst(a: { createdAt: number; id: string }, b: { createdAt: number; id: string }): number {
  if (a.createdAt !== b.createdAt) return b.createdAt - a.createdAt;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** The cursor a client holds: opaque base64url of the last hit's (createdAt, id). */
export function encodeSearchCursor(c: SearchCursor): string {
  return Buffer.from(JSON.stringify([c.createdAt, c.id])).toString('base64url');
}

/** The cursor back, or null when it is not one this server made. */
export function decodeSearchCursor(s: string): SearchCursor | null {
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown;
    if (!Array.isArray(v) || v.length !== 2) return null;
    const [createdAt, id] = v as unknown[];
    if (typeof createdAt !== 'number' || !Number.isSafeInteger(createdAt) || typeof id !== 'string' || id.length > 64) return null;
    return { createdAt, id };
  } catch {
    return null;
  }
}
