/** Initials on a colour picked from the id, so a person keeps their colour everywhere. */
// Each at least 5.3:1 against the white initials (WCAG AA for text).
const COLORS = [
  '#b03a2e',
  '#1e5fb3',
  '#1d7a4f',
  '#6a3fb5',
  '#a0336e',
  '#0f6e7a',
  '#8a5a00',
  '#44505c',
  '#9c3d0f',
  '#3b5bdb',
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
