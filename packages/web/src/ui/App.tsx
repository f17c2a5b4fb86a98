import { useEffect, useState } from 'preact/hooks';
import type { AuthSession } from '@natter/client';
import { ChatModel } from '../lib/model.js';
import { auth, openClient } from '../lib/session.js';
import { AuthScreen } from './AuthScreen.js';
import { Shell } from './Shell.js';

/** Signed out: the login screen. Signed in: one ChatModel for the account until logout. */
export function App() {
  const [session, setSession] = useState<AuthSession | null | undefined>(undefined);
  const [model, setModel] = useState<ChatModel | null>(null);

  useEffect(() => {
    void auth.session().then(setSession);
    return auth.onChange(setSession);
  }, []);

  useEffect(() => {
    if (!session) {
      setModel(null);
      return;
    }
    const m = new ChatModel(openClient(session), auth, session);
    setModel(m);
    void m.start();
    return () => m.stop();
  }, [session?.userId, session?.deviceId]);

  if (session === undefined) return <div class="splash" aria-busy="true" />;
  if (!session || !model) return <AuthScreen />;
  return <Shell model={model} />;
}
