// Two users chatting from Node: Alice opens a 1:1 conversation with Bob and sends him a message;
// Bob's client prints what it receives. Run it against a server started with `npm start`:
//
//   node examples/chat.mjs                     # the server at http://localhost:8080
//   NATTER_URL=http://chat.example:8080 node examples/chat.mjs
//
// It can run any number of times: a user that exists already logs in instead of registering.
// Outside this repository: `npm install @natter/client ws`, then copy this file.
import WebSocket from 'ws';
import { NatterClient } from '@natter/client';

const base = process.env.NATTER_URL ?? 'http://localhost:8080';
const password = 'a good long password';

async function post(path, body) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  return { status: res.status, json };
}

/** Registers `username`, or logs in when it is taken; returns its tokens and user id. */
async function signIn(username) {
  const registered = await post('/v1/auth/register', { username, password });
  if (registered.status === 201) return registered.json.tokens;
  const code = registered.json.error?.code;
  // 409 username_taken: an earlier run created it. 403 forbidden: REGISTRATION=closed (create
  // the users with the admin API instead, see docs/api.md); logging in still works then.
  if (code !== 'username_taken' && code !== 'forbidden') throw new Error(`register ${username}: ${registered.status} ${code}: ${registered.json.error?.message}`);
  const login = await post('/v1/auth/login', { username, password });
  if (login.status !== 200) throw new Error(`login ${username}: ${login.status} ${login.json.error?.code}: ${login.json.error?.message}`);
  return login.json;
}

const [a, b] = [await signIn('alice'), await signIn('bob')];
const wsUrl = `${base.replace(/^http/, 'ws')}/v1/ws`;
const connect = (tokens) => new NatterClient({ url: wsUrl, token: tokens.accessToken, WebSocket });
const alice = connect(a);
const bob = connect(b);

const text = `hi bob (${new Date().toISOString()})`;
const received = new Promise((resolve) => {
  bob.on('message', (m) => {
    if (m.type === 'system') {
      // A conversation's log holds system entries too (created, members joined or left), numbered
      // in the same sequence as messages; an app shows them as "Alice started the chat" or hides them.
      console.log(`bob got #${m.seq}: a system entry (${m.body.event}), not a message`);
      return;
    }
    console.log(`bob got #${m.seq}: ${m.body.text}`);
    if (m.body.text === text) resolve();
  });
});
await Promise.all([alice.connect(), bob.connect()]);

const chat = await alice.openDirect(b.userId); // the same conversation on every run
const sent = await alice.sendText(chat.id, text); // resolves once stored, with { id, seq, createdAt }
console.log(`alice sent #${sent.seq}`);

const timeout = setTimeout(() => {
  console.error('bob did not receive the message within 10 s');
  process.exit(1);
}, 10_000);
await received;
clearTimeout(timeout);
alice.close();
bob.close();
