/** Initials on a colour picked from the id, so a person keeps their colour everywhere. */
const COLORS = [
  '#e17055',
  '#0984e3',
  '#00b894',
  '#6c5ce7',
  '#d63031',
  '#e84393',
  '#00cec9',
  '#fdcb6e',
  '#2d3436',
  '#a29bfe',
];

function colorOf(id: string): string {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return COLORS[h % COLORS.length]!;
}

function initials(name: string): string {
  const parts = name
    .trim()
    .split(/[\s,]+/)
    .filter(Boolean);
  const first = [...(parts[0] ?? '?')][0] ?? '?';
  const second = parts.length > 1 ? ([...parts[1]!][0] ?? '') : '';
  return (first + second).toUpperCase();
}

export function Avatar({
  id,
  name,
  size = 40,
  group = false,
}: {
  id: string;
  name: string;
  size?: number;
  group?: boolean;
}) {
  return (
    <span
      class={`avatar${group ? ' avatar-group' : ''}`}
      style={{ width: size, height: size, background: colorOf(id), fontSize: size * 0.4 }}
      aria-hidden="true"
    >
      {initials(name)}
    </span>
  );
}
