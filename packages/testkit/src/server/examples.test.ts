/**
 * The README's examples run (issue 20): examples/chat.mjs, the file the README shows verbatim, is run with
 * plain `node` against a live server, twice — the second run finds alice and bob registered and
 * must log them in — and must exit by itself with the conversation printed.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { perTest } from '../harness.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const CHAT = resolve(ROOT, 'examples/chat.mjs');
const { start } = perTest();

function runExample(file: string, url: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    // No kill timer of ours: the example must end by itself; vitest's timeout catches a hang.
    execFile(process.execPath, [file], { cwd: ROOT, env: { ...process.env, NATTER_URL: url }, timeout: 30_000 }, (err, stdout, stderr) =>
      done({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
    );
  });
}

describe('examples/chat.mjs', () => {
  it('is the code the README shows, verbatim', () => {
    const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('```js\n' + readFileSync(CHAT, 'utf8') + '```');
  });

  it('registers alice and bob, delivers the message, explains the system entry and exits; a second run logs in', async () => {
    const t = await start();
    const first = await runExample(CHAT, t.url);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^bob got #1: a system entry \(conversation\.created\), not a message$/m);
    expect(first.stdout).toMatch(/^alice sent #2$/m);
    expect(first.stdout).toMatch(/^bob got #2: hi bob \(/m);

    const second = await runExample(CHAT, t.url);
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^alice sent #3$/m);
    expect(second.stdout).toMatch(/^bob got #3: hi bob \(/m);
  }, 60_000);

  it('says what went wrong when the server refuses, instead of crashing on a missing field', async () => {
    const t = await start({ REGISTRATION: 'closed' });
    const run = await runExample(CHAT, t.url);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('login alice: 401 invalid_credentials');
  }, 60_000);
});
