import { useEffect, useState } from 'preact/hooks';
import type { ChatModel } from '../lib/model.js';
import { ChatView } from './ChatView.js';
import { ConnectionBanner } from './ConnectionBanner.js';
import { NewChatDialog } from './NewChatDialog.js';
import { ContactsDialog } from './ContactsDialog.js';
import { SettingsDialog } from './SettingsDialog.js';
import { Sidebar } from './Sidebar.js';
import { useModel, useNarrow } from './hooks.js';

/** Desktop: list and chat side by side. Phone: the list, or the open chat with a back button. */
export function Shell({ model }: { model: ChatModel }) {
  useModel(model);
  const narrow = useNarrow();
  const [dialog, setDialog] = useState<'new' | 'settings' | 'contacts' | null>(null);
  const openId = model.openId;
  const total = model.totalUnread();

  useEffect(() => {
    document.title = total > 0 ? `(${total}) Natter` : 'Natter';
  }, [total]);

  useEffect(() => {
    const onVisible = () => model.markOpenRead();
    document.addEventListener('visibilitychange', onVisible);
    return () => document.removeEventListener('visibilitychange', onVisible);
  }, [model]);

  const [focus, setFocus] = useState<{ id: string; seq: number } | null>(null);
  const open = (id: string | null, seq?: number) => {
    setFocus(id && seq ? { id, seq } : null);
    void model.open(id);
  };
  const showList = !narrow || !openId;
  const showChat = !narrow || !!openId;

  return (
    <div class={`shell${narrow ? ' narrow' : ''}`}>
      <ConnectionBanner model={model} />
      <div class="panes">
        {showList && (
          <Sidebar
            model={model}
            onOpen={open}
            onNew={() => setDialog('new')}
            onSettings={() => setDialog('settings')}
            onContacts={() => setDialog('contacts')}
          />
        )}
        {showChat &&
          (openId ? (
            <ChatView
              key={openId}
              model={model}
              conversationId={openId}
              focusSeq={focus?.id === openId ? focus.seq : null}
              onBack={narrow ? () => open(null) : null}
            />
          ) : (
            <section class="chat empty-chat" aria-label="No conversation open">
              <div>
                <h2>Welcome to Natter</h2>
                <p>Pick a conversation on the left, or start a new one.</p>
                <button class="primary" onClick={() => setDialog('new')}>
                  New chat
                </button>
              </div>
            </section>
          ))}
      </div>
      {dialog === 'contacts' && (
        <ContactsDialog
          model={model}
          onClose={() => setDialog(null)}
          onOpened={(id) => {
            setDialog(null);
            open(id);
          }}
        />
      )}
      {dialog === 'settings' && <SettingsDialog model={model} onClose={() => setDialog(null)} />}
      {dialog === 'new' && (
        <NewChatDialog
          model={model}
          onClose={() => setDialog(null)}
          onOpened={(id) => {
            setDialog(null);
            open(id);
          }}
        />
      )}
    </div>
  );
}
