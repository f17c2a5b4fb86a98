import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // Exact names: a bare '@natter/protocol' key would also rewrite '@natter/protocol/wire'.
    alias: [
      { find: /^@natter\/protocol\/wire$/, replacement: fileURLToPath(new URL('./packages/protocol/src/wire.ts', import.meta.url)) },
      { find: /^@natter\/protocol$/, replacement: src('protocol') },
      { find: /^@natter\/client$/, replacement: src('client') },
      { find: /^@natter\/server$/, replacement: src('server') },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'bench/src/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', '**/.natter/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
