import { useState } from 'preact/hooks';
import { auth } from '../lib/session.js';

const MESSAGES: Record<string, string> = {
  invalid_credentials: 'Wrong username or password.',
  username_taken: 'That username is taken. Pick another one.',
  weak_password: 'Choose a stronger password: longer, and not a common one.',
  rate_limited: 'Too many attempts. Wait a moment and try again.',
  forbidden: 'This server does not allow creating accounts here. Ask its operator for one.',
  unavailable: 'The server cannot be reached. Check your connection.',
};

export function AuthScreen() {
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const deviceName = `Web · ${navigator.platform || 'browser'}`;
    try {
      if (mode === 'login') await auth.login({ username, password, deviceName });
      else
        await auth.register({
          username,
          password,
          deviceName,
          ...(displayName.trim() && { displayName: displayName.trim() }),
        });
    } catch (err) {
      const e = err as { code?: string; message?: string };
      setError(MESSAGES[e.code ?? ''] ?? e.message ?? 'Something went wrong.');
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="auth">
      <form class="auth-card" onSubmit={submit} aria-labelledby="auth-title">
        <div class="brand">
          <span class="brand-mark" aria-hidden="true">
            N
          </span>
          <span>Natter</span>
        </div>
        <h1 id="auth-title">{mode === 'login' ? 'Sign in' : 'Create your account'}</h1>
        <label>
          Username
          <input
            name="username"
            autoComplete="username"
            required
            minLength={3}
            maxLength={32}
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
            autoFocus
          />
        </label>
        {mode === 'register' && (
          <label>
            Display name <span class="hint">(optional)</span>
            <input
              name="displayName"
              autoComplete="name"
              maxLength={64}
              value={displayName}
              onInput={(e) => setDisplayName(e.currentTarget.value)}
            />
          </label>
        )}
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
            required
            minLength={mode === 'register' ? 8 : 1}
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <button class="primary" type="submit" disabled={busy}>
          {busy ? 'Please wait…' : mode === 'login' ? 'Sign in' : 'Create account'}
        </button>
        <p class="switch">
          {mode === 'login' ? 'New here?' : 'Already have an account?'}{' '}
          <button
            type="button"
            class="link"
            onClick={() => {
              setMode(mode === 'login' ? 'register' : 'login');
              setError(null);
            }}
          >
            {mode === 'login' ? 'Create an account' : 'Sign in'}
          </button>
        </p>
      </form>
    </main>
  );
}
