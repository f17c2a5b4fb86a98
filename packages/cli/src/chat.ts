/**
 * `natter send` and `natter tail`: a user's side of a conversation from the terminal, through the
 * SDK (@natter/client) like any app. A conversation is named by its id or, for a 1:1, by `@username`
 * of the other person (looked up with the admin key; opened if it did not exist).
 */
import WebSocket from 'ws';
import { NatterClient, type Message } from '@natter/client';
import { call, CliError, findUser, signIn, signOut, type As, type Remote, type Session } from './remote.js';

function connect(r: Remote, s: Session): NatterClient {
  const url = new URL('/v1/ws', r.url);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return new NatterClient({ url: url.toString(), token: s.accessToken, WebSocket });
}

async function conversationId(r: Remote, client: NatterClient, ref: string): Promise<string> {
  if (!ref.startsWith('@')) return ref;
  if (!r.adminKey) throw new CliError(`${ref}: finding a user by name needs ADMIN_API_KEY; or give the conversation's id`);
  const other = await findUser(r, ref.slice(1));
  return (await client.openDirect(other.id)).id;
}

/** One line per entry: time, sender, text; system entries (membership events) in brackets. */
export function formatEntry(m: Message, names: Map<string, string>): string {
  const time = new Date(m.createdAt).toISOString().slice(11, 19);
  const who = names.get(m.senderId) ?? m.senderId;
  const body = m.body as { text?: string; event?: string } | null;
  if (m.type === 'system') return `${time} #${m.seq} [${body?.event ?? 'system'} by ${who}]`;
  if (m.type === 'text') return `${time} #${m.seq} ${who}: ${body?.text ?? ''}`;
  return `${time} #${m.seq} ${who}: (custom) ${JSON.stringify(m.body)}`;
}

async function nameOf(r: Remote, s: Session, names: Map<string, string>, id: string): Promise<void> {
  if (names.has(id)) return;
  const u = await call(r, 'GET', `/v1/users/${encodeURIComponent(id)}`, { token: s.accessToken }).catch(() => null);
  names.set(id, u?.username ?? id);
}

export async function send(r: Remote, as: As, ref: string, text: string): Promise<void> {
  const s = await signIn(r, as);
  const client = connect(r, s);
  try {
    await client.connect();
    const id = await conversationId(r, client, ref);
    const sent = await client.sendText(id, text);
    process.stdout.write(`sent #${sent.seq} to ${id}\n`);
  } finally {
    client.close();
    await signOut(r, s);
  }
}

/**
 * Prints the last `lines` entries, then every new one as it arrives, until SIGINT/SIGTERM (or
 * `signal` aborts). The SDK reconnects and catches up by itself, so nothing is missed or doubled.
 */
export async function tail(r: Remote, as: As, ref: string, lines: number, signal?: AbortSignal): Promise<void> {
  const s = await signIn(r, as);
  const client = connect(r, s);
  const names = new Map<string, string>();
  let last = 0;
  let printing = Promise.resolve();
  const print = (m: Message) => {
    printing = printing.then(async () => {
      if (m.seq <= last) return;
      last = m.seq;
      await nameOf(r, s, names, m.senderId);
      process.stdout.write(formatEntry(m, names) + '\n');
    });
  };
  try {
    await client.connect();
    const id = await conversationId(r, client, ref);
    client.on('message', (m) => {
      if (m.conversationId === id) print(m);
    });
    const page = await call(r, 'GET', `/v1/conversations/${encodeURIComponent(id)}/messages?before=${Number.MAX_SAFE_INTEGER}&limit=${lines}`, {
      token: s.accessToken,
    });
    for (const m of [...(page.messages as Message[])].sort((a, b) => a.seq - b.seq)) print(m);
    await printing;
    process.stderr.write(`following ${id} (Ctrl-C to stop)\n`);
    await new Promise<void>((done) => {
      const stop = () => done();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      signal?.addEventListener('abort', stop);
    });
    await printing;
  } finally {
    client.close();
    await signOut(r, s);
  }
}
