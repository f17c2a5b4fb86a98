// Lint rules from ../shared/STYLE.md: type-only imports, exhaustive switches over frame unions,
// no floating promises.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// A workspace uses another only through its package name and exports (issue 16): no relative path
// into another package, no deep import of its src/ or dist/. flat config replaces a rule's options
// per block rather than merging them, so every block that sets no-restricted-imports repeats these.
// packages/testkit/src/workspaces.test.ts checks the same from the package.json side (declared
// dependencies, no cycle).
const acrossPackages = {
  // gitignore syntax, which has no braces: one entry per workspace and folder.
  // `@natter/protocol/wire` (the zod-free part the SDK uses) and `@natter/server/config` (the settings
  // alone, for the CLI to start fast) are entry points in those packages' exports, not files.
  group: ['**/packages/**', '@natter/*/*', '!@natter/protocol/wire', '!@natter/server/config', ...['protocol', 'server', 'client', 'testkit', 'bench'].flatMap((w) => [`**/${w}/src/**`, `**/${w}/dist/**`])],
  message: "import another workspace by its package name (@natter/…), declared in this package's package.json; never its files.",
};

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'data/**', '*.config.ts', 'packages/*/*.config.ts', 'eslint.config.js', 'bench/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { project: ['./tsconfig.test.json'], tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { patterns: [acrossPackages] }],
    },
  },
  {
    // The core is the domain: it talks to the Store and Bus interfaces, a Clock and write-only
    // Connections, never to a transport, a driver or a framework (STYLE.md, issue 16). Libraries
    // for solved problems inside the domain (argon2 for passwords, jose for tokens) are allowed.
    files: ['packages/server/src/core/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['ws', 'fastify', 'pg', 'better-sqlite3', 'ioredis', 'nats', 'pino', 'prom-client', 'rate-limiter-flexible', 'bufferutil'].map((name) => ({
            name,
            message: 'core imports no transport, driver or framework: put the adapter outside core/ behind an interface.',
          })),
          patterns: [
            acrossPackages,
            {
              group: ['**/transport/**', '**/http/**', '**/store/sqlite/**', '**/store/postgres/**', '**/store/memory/**', '**/bus/*/**', '**/ephemeral/*/**', '**/limits/**', '**/server.js', '**/config.js', '**/metrics.js', '**/log.js'],
              message: 'core depends on interfaces (store/store.ts, bus/bus.ts, ephemeral/ephemeral.ts), not on their implementations or the server around it.',
            },
          ],
        },
      ],
    },
  },
  {
    // Tests poke at raw frames and JSON answers; typing every one would only restate them.
    files: ['**/*.test.ts', 'packages/testkit/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
