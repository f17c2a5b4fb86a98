/**
 * The REST API as a browser and a tool see it (issue 20): CORS by the ALLOWED_ORIGINS rule the
 * WebSocket uses, and the OpenAPI 3.1 document at /v1/openapi.json, which must list every route
 * Fastify has registered and validate against the OpenAPI 3.1 schema.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { perTest } from '../harness.js';

const { start } = perTest();

const ALLOWED = 'https://app.example';

/** A browser's preflight for a JSON POST from `origin`. */
async function preflight(url: string, origin: string, path = '/v1/auth/login'): Promise<Response> {
  return fetch(url + path, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
  });
}

describe('CORS', () => {
  it('answers a preflight to /v1/auth/login from an allowed origin with the CORS headers', async () => {
    const t = await start({ ALLOWED_ORIGINS: `https://other.example, ${ALLOWED}` });
    const res = await preflight(t.url, ALLOWED);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    expect(res.headers.get('vary')?.toLowerCase()).toContain('origin');
    // The request itself carries the header too, so the page can read the answer.
    const login = await fetch(t.url + '/v1/auth/login', {
      method: 'POST',
      headers: { origin: ALLOWED, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'nobody', password: 'not a password' }),
    });
    expect(login.status).toBe(401);
    expect(login.headers.get('access-control-allow-origin')).toBe(ALLOWED);
  });

  it('gives another origin no CORS header, so the browser refuses the answer to its page', async () => {
    const t = await start({ ALLOWED_ORIGINS: ALLOWED });
    const res = await preflight(t.url, 'https://evil.example');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const get = await fetch(t.url + '/v1/me', { headers: { origin: 'https://evil.example' } });
    expect(get.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows a page served by the same host, with ALLOWED_ORIGINS empty (the default)', async () => {
    const t = await start();
    const res = await preflight(t.url, t.url);
    expect(res.headers.get('access-control-allow-origin')).toBe(t.url);
    expect((await preflight(t.url, 'http://elsewhere.example')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows any origin with ALLOWED_ORIGINS=*', async () => {
    const t = await start({ ALLOWED_ORIGINS: '*' });
    expect((await preflight(t.url, 'https://anyone.example')).headers.get('access-control-allow-origin')).toBe('https://anyone.example');
  });
});

/** `METHOD /path` of every route in Fastify's printRoutes tree (HEAD and OPTIONS are implicit). */
function registeredRoutes(tree: string): string[] {
  const routes: string[] = [];
  const stack: { depth: number; path: string }[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([\s│]*)[├└]── (\S*)(?: \(([^)]*)\))?/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length;
    while (stack.length > 0 && stack[stack.length - 1]!.depth >= depth) stack.pop();
    const path = (stack[stack.length - 1]?.path ?? '') + m[2]!;
    stack.push({ depth, path });
    for (const method of (m[3] ?? '').split(',').map((x) => x.trim()).filter(Boolean)) {
      if (method !== 'HEAD' && method !== 'OPTIONS') routes.push(`${method} ${path}`);
    }
  }
  return routes;
}

describe('OpenAPI', () => {
  it('serves a valid OpenAPI 3.1 document listing every registered route with its method', async () => {
    const t = await start();
    const res = await fetch(t.url + '/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, { summary?: string }>>; components: object };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components).toBeTypeOf('object');

    // The web app's files (docs/web.md) are served beside the API, not part of it.
    const isWebAppFile = (route: string) => / \/(index\.html|assets\/.*)?$/.test(route);
    const routes = registeredRoutes(t.server.app.printRoutes({ commonPrefix: false })).filter((r) => !isWebAppFile(r));
    // The parse of the tree must have found the routes (a broken parse would prove nothing).
    expect(routes).toEqual(expect.arrayContaining(['GET /healthz', 'POST /v1/auth/login', 'PUT /v1/conversations/:id/members/:userId/role']));
    expect(routes.length).toBeGreaterThan(20);
    for (const route of routes) {
      const [method, path] = route.split(' ') as [string, string];
      const op = doc.paths[path.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()];
      expect(op, `${route} is not in the document`).toBeDefined();
      expect(op?.summary).toBeTruthy();
    }

    const result = await new Validator().validate(doc as never);
    expect(result.errors ?? [], JSON.stringify(result.errors)).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('describes request bodies, path parameters and queries from the zod schemas', async () => {
    const t = await start();
    const doc = (await (await fetch(t.url + '/v1/openapi.json')).json()) as any;
    const register = doc.paths['/v1/auth/register'].post;
    const body = register.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(expect.arrayContaining(['username', 'password']));
    expect(body.properties.username).toMatchObject({ type: 'string', minLength: 3, maxLength: 32 });
    const history = doc.paths['/v1/conversations/{id}/messages'].get;
    expect(history.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'id', in: 'path', required: true }),
        expect.objectContaining({ name: 'limit', in: 'query', required: false }),
      ]),
    );
    expect(doc.paths['/v1/admin/users'].post.security).toEqual([{ adminKey: [] }]);
  });
});
