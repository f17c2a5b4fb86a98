import { useEffect, useRef } from 'preact/hooks';
import type { ComponentChildren } from 'preact';

/** A modal: Esc or a click outside closes it; focus moves into it and back when it closes. */
export function Dialog({
  title,
  onClose,
  children,
}: {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    document.addEventListener('keydown', onKey);
    box.current?.querySelector<HTMLElement>('input, button:not([aria-label="Close"])')?.focus();
    return () => {
      document.removeEventListener('keydown', onKey);
      before?.focus();
    };
  }, []);
  const id = `dialog-${title.replace(/\W+/g, '-').toLowerCase()}`;
  return (
    <div class="overlay" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div class="dialog" role="dialog" aria-modal="true" aria-labelledby={id} ref={box}>
        <header class="dialog-head">
          <h2 id={id}>{title}</h2>
          <button class="icon-button" onClick={onClose} aria-label="Close">
            ✕
          </button>
        </header>
        <div class="dialog-scroll">{children}</div>
      </div>
    </div>
  );
}
