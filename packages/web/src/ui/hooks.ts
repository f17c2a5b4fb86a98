import { useEffect, useState } from 'preact/hooks';
import type { ChatModel } from '../lib/model.js';

/** Re-renders the component whenever the model changes. */
export function useModel(model: ChatModel): number {
  const [, setVersion] = useState(model.version);
  useEffect(() => model.subscribe(() => setVersion(model.version)), [model]);
  return model.version;
}

/** Whether the viewport is phone-sized (one pane at a time). */
export function useNarrow(): boolean {
  const query = '(max-width: 720px)';
  const [narrow, setNarrow] = useState(() => matchMedia(query).matches);
  useEffect(() => {
    const m = matchMedia(query);
    const on = () => setNarrow(m.matches);
    m.addEventListener('change', on);
    return () => m.removeEventListener('change', on);
  }, []);
  return narrow;
}
