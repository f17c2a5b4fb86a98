import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { planServices } from './packages/testkit/src/services/plan.js';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

// Suites that need PostgreSQL, Redis or NATS run on what answers, on what the tests can start
// (services/global-setup.ts), or are left out with one line saying so; under CI=true a left-out
// suite fails the run instead (packages/testkit/src/services/plan.ts).
const services = await planServices();
if (services.skipped.length > 0) {
  if (process.env.CI === 'true') throw new Error(`CI=true, and these suites would be skipped:\n${services.skipped.join('\n')}`);
  for (const line of services.skipped) process.stdout.write(`${line}\n`);
}
process.env.NATTER_TEST_SERVICES_START = JSON.stringify(services.start);

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
    exclude: ['**/node_modules/**', '**/dist/**', '**/.natter/**', ...services.exclude],
    globalSetup: ['./packages/testkit/src/services/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
