/**
 * How NatsEphemeral lays out its entries in a JetStream KV bucket: key names and the JSON each
 * entry holds. nats-server 2.9 has no per-message TTL (2.11 adds it) and a bucket's max age is the
 * same for every key, so every entry carries its own expiry (ms since the epoch, by the writing
 * process's clock) and readers drop what has expired.
 *
 * Keys are `<prefix>.<kind>.k<base64url of the UTF-8 name>`: KV keys allow only [-/_=.A-Za-z0-9],
 * and Natter names hold `:` and may hold anything; the `k` keeps an empty name a valid token.
 * The kinds are `v` (values), `s` (sets) and `n` (counters), so one name of each never collide.
 *
 * A set is one entry listing its members with their expiries, changed by compare-and-set: one
 * read answers members(), and no member can be lost to a concurrent update. That suits the small
 * sets ephemeral.ts is for; a set of thousands would rewrite a large entry on every refresh.
 */

export type Kind = 'v' | 's' | 'n';

/** The KV key of a name of the given kind under `prefix` (a [A-Za-z0-9_-] token). */
export function kvKey(prefix: string, kind: Kind, name: string): string {
  return `${prefix}.${kind}.k${Buffer.from(name, 'utf8').toString('base64url')}`;
}

export interface ValueEntry {
  value: string;
  expiresAt: number;
}

export interface CounterEntry {
  count: number;
  /** When the window that the first increment started ends. */
  endsAt: number;
}

/** Members and their expiries; a Map, so a member named `__proto__` is just a member. */
export type SetEntry = Map<string, number>;

export const encodeValue = (e: ValueEntry): string => JSON.stringify({ v: e.value, e: e.expiresAt });
export const encodeCounter = (e: CounterEntry): string => JSON.stringify({ c: e.count, e: e.endsAt });
export const encodeSet = (e: SetEntry): string => JSON.stringify({ m: [...e] });

/*
 * The decoders return null for anything that is not an entry of their kind. Only Natter writes
 * under its prefix, so that means an entry of an incompatible version: treating it as absent lets
 * the next write replace it instead of failing every call on that key until the bucket ages it out.
 */

export function decodeValue(data: Uint8Array): ValueEntry | null {
  const o = parse(data);
  return typeof o?.v === 'string' && isTime(o.e) ? { value: o.v, expiresAt: o.e } : null;
}

export function decodeCounter(data: Uint8Array): CounterEntry | null {
  const o = parse(data);
  return Number.isSafeInteger(o?.c) && isTime(o?.e)
    ? { count: o!.c as number, endsAt: o!.e as number }
    : null;
}

export function decodeSet(data: Uint8Array): SetEntry | null {
  const m = parse(data)?.m;
  if (!Array.isArray(m)) return null;
  const members: SetEntry = new Map();
  for (const pair of m as unknown[]) {
    if (!Array.isArray(pair) || typeof pair[0] !== 'string' || !isTime(pair[1])) return null;
    members.set(pair[0], pair[1]);
  }
  return members;
}

/** Drops the members whose expiry is not after `now`; returns the same map. */
export function live(members: SetEntry, now: number): SetEntry {
  for (const [member, expiresAt] of members) if (expiresAt <= now) members.delete(member);
  return members;
}

function parse(data: Uint8Array): Record<string, unknown> | null {
  try {
    const o: unknown = JSON.parse(
      Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'),
    );
    return typeof o === 'object' && o !== null && !Array.isArray(o) ? (o as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const isTime = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
