#!/usr/bin/env node
/**
 * `natter`: the command line for operators and for trying Natter from a terminal (docs/cli.md).
 * `serve` runs the server in this process; `user`, `invite` and `token` use a running server's
 * admin API; `send` and `tail` act as a user through the SDK; `doctor` checks a machine before
 * (or after) it serves. `npm start` remains the plain way to start the server.
 */
import { Command, Option } from 'commander';
import { call, CliError, findUser, type As, type Remote, type UserView } from './remote.js';
import { settings } from './settings.js';

const program = new Command('natter')
  .description('Natter: self-hostable instant messaging. Run a server, manage its users, chat from the terminal.')
  .showHelpAfterError()
  .addOption(new Option('--url <url>', 'the server the commands talk to').env('NATTER_URL').default('http://localhost:8080'))
  .addOption(new Option('--admin-key <key>', "the server's ADMIN_API_KEY, for user, invite and token").env('ADMIN_API_KEY'));

function remote(): Remote {
  const o = program.opts<{ url: string; adminKey?: string }>();
  return { url: o.url, adminKey: o.adminKey };
}

/** --user/--password/--token, for the commands that act as a user. */
function asUser(cmd: Command): Command {
  return cmd
    .addOption(new Option('--user <username>', 'act as this user (with --password, or with the admin key)').env('NATTER_USER'))
    .addOption(new Option('--password <password>', "the user's password").env('NATTER_PASSWORD'))
    .addOption(new Option('--token <accessToken>', 'an access token instead of --user').env('NATTER_TOKEN'));
}
const as = (o: As): As => ({ user: o.user, password: o.password, token: o.token });

const date = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString().replace('T', ' ').slice(0, 16));

// --- serve ---------------------------------------------------------------------------------------
const allSettings = settings();
const serveSettings = allSettings.filter((s) => s.name !== 'ADMIN_API_KEY');
const adminKeyHelp = allSettings.find((s) => s.name === 'ADMIN_API_KEY')?.option.description ?? 'ADMIN_API_KEY';
const serve = program
  .command('serve')
  .description('Run the server in this process. Every setting is an environment variable (or NATTER_CONFIG file key) and an option below; options win.')
  .addHelpText(
    'after',
    `\nAnd natter's own --admin-key <key>: ${adminKeyHelp}\n\nEvery setting is documented in docs/configuration.md. Example:\n  natter --admin-key "$(openssl rand -base64 32)" serve --port 9000 --registration invite`,
  )
  .action(async (opts: Record<string, string | undefined>) => {
    for (const s of serveSettings) {
      const value = opts[s.option.attributeName()];
      if (value !== undefined) process.env[s.name] = value;
    }
    // Loaded only now: the server's modules take a while to load, and no other command needs them.
    const { runServer } = await import('@natter/server');
    await runServer();
  });
for (const s of serveSettings) serve.addOption(s.option);
// ADMIN_API_KEY is the program's --admin-key: pass it on to the server.
serve.hook('preAction', () => {
  const key = program.opts<{ adminKey?: string }>().adminKey;
  if (key !== undefined) process.env.ADMIN_API_KEY = key;
});

// --- user ----------------------------------------------------------------------------------------
const user = program.command('user').description('Create, list, disable and enable users (admin API)');
user
  .command('create <username>')
  .description('Create a user; without a password it logs in only with tokens minted for it (natter token mint)')
  .addOption(new Option('--password <password>', 'its password (at least 8 characters)').env('NATTER_PASSWORD'))
  .option('--display-name <name>', 'its display name')
  .action(async (username: string, o: { password?: string; displayName?: string }) => {
    const u = await call(remote(), 'POST', '/v1/admin/users', {
      admin: true,
      body: { username, ...(o.password && { password: o.password }), ...(o.displayName && { displayName: o.displayName }) },
    });
    process.stdout.write(`created ${u.username} (id ${u.id})${o.password ? '' : ', no password: mint tokens for it with natter token mint'}\n`);
  });
user
  .command('list')
  .description('Every user, in id order')
  .option('--json', 'one JSON object per line')
  .action(async (o: { json?: boolean }) => {
    const r = remote();
    let after: string | null = null;
    let first = true;
    do {
      const page: { users: UserView[]; next: string | null } = await call(r, 'GET', `/v1/admin/users?limit=500${after ? `&after=${encodeURIComponent(after)}` : ''}`, { admin: true });
      if (first && !o.json) process.stdout.write(`${'ID'.padEnd(24)} ${'USERNAME'.padEnd(24)} ${'CREATED'.padEnd(16)}  DISABLED\n`);
      first = false;
      for (const u of page.users) {
        process.stdout.write(o.json ? JSON.stringify(u) + '\n' : `${u.id.padEnd(24)} ${u.username.padEnd(24)} ${date(u.createdAt).padEnd(16)}  ${date(u.disabledAt)}\n`);
      }
      after = page.next;
    } while (after);
  });
for (const [name, verb] of [['disable', 'Disable a user: no login or tokens, its devices signed out and connections closed'], ['enable', 'Enable a disabled user again']] as const) {
  user
    .command(`${name} <user>`)
    .description(`${verb} (by username or id)`)
    .action(async (ref: string) => {
      const u: UserView = await call(remote(), 'POST', `/v1/admin/users/${encodeURIComponent(ref)}/${name}`, { admin: true });
      process.stdout.write(`${u.username} (id ${u.id}) is ${u.disabledAt === null ? 'enabled' : `disabled since ${date(u.disabledAt)}`}\n`);
    });
}

// --- invite --------------------------------------------------------------------------------------
program
  .command('invite')
  .description('Registration invites, for REGISTRATION=invite')
  .command('create')
  .description('Create a single-use invite code (shown once); the new user passes it as inviteCode when registering')
  .option('--expires-in-hours <hours>', 'how long it stays valid', '168')
  .option('--no-expiry', 'valid until used')
  .action(async (o: { expiresInHours: string; expiry: boolean }) => {
    const hours = Number(o.expiresInHours);
    if (o.expiry && (!Number.isInteger(hours) || hours < 1)) throw new CliError('--expires-in-hours: a whole number of hours, at least 1');
    const inv = await call(remote(), 'POST', '/v1/admin/invites', { admin: true, body: { expiresInHours: o.expiry ? hours : null } });
    process.stdout.write(`${inv.code}\n`);
    process.stderr.write(inv.expiresAt === null ? 'valid until used\n' : `valid until ${new Date(inv.expiresAt).toISOString()}\n`);
  });

// --- token ---------------------------------------------------------------------------------------
program
  .command('token')
  .description('Tokens for users (admin API)')
  .command('mint <user>')
  .description("Mint an access and refresh token for a user (by username or id) on a new device; prints the tokens as JSON")
  .option('--device-name <name>', 'the name of the new device', 'natter cli')
  .action(async (ref: string, o: { deviceName: string }) => {
    const r = remote();
    const u = await findUser(r, ref);
    const t = await call(r, 'POST', `/v1/admin/users/${encodeURIComponent(u.id)}/tokens`, { admin: true, body: { deviceName: o.deviceName } });
    process.stdout.write(JSON.stringify(t, null, 2) + '\n');
  });

// --- send and tail -------------------------------------------------------------------------------
asUser(
  program
    .command('send <conversation> <text...>')
    .description('Send a text message to a conversation (its id, or @username for a 1:1, opened if new); prints its seq once stored'),
).action(async (ref: string, words: string[], o: As) => (await import('./chat.js')).send(remote(), as(o), ref, words.join(' ')));

asUser(
  program
    .command('tail <conversation>')
    .description('Print the last messages of a conversation (its id, or @username for a 1:1), then new ones as they arrive, like tail -f')
    .option('-n, --lines <count>', 'how many earlier entries to print first', '10'),
).action(async (ref: string, o: As & { lines: string }) => {
  const lines = Number(o.lines);
  if (!Number.isInteger(lines) || lines < 1 || lines > 200) throw new CliError('--lines: a whole number from 1 to 200');
  await (await import('./chat.js')).tail(remote(), as(o), ref, lines);
});

// --- doctor --------------------------------------------------------------------------------------
program
  .command('doctor')
  .description('Check the configuration (from the environment), data directory, disk, database, bus, and whether a server answers at --url')
  .action(async () => {
    const { doctor, formatFindings } = await import('./doctor.js');
    const findings = await doctor(program.opts<{ url: string }>().url);
    process.stdout.write(formatFindings(findings));
    const failed = findings.filter((f) => f.verdict === 'FAIL').length;
    process.stdout.write(failed === 0 ? 'nothing wrong found\n' : `${failed} problem${failed === 1 ? '' : 's'} found\n`);
    process.exitCode = failed === 0 ? 0 : 1;
  });

program.parseAsync().then(
  () => {
    // serve and tail keep the process alive by themselves; the others are done.
  },
  (err: unknown) => {
    process.stderr.write(`natter: ${err instanceof CliError ? err.message : err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
