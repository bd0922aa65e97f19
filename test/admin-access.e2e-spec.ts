import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type request from 'supertest';
import type { RunningPaymux } from '../src/bootstrap';
import { http, Merchant, newMember, newMerchant, startTestApp } from './helpers/app';

interface OpenApi {
  paths: Record<string, Record<string, unknown>>;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
type Method = (typeof METHODS)[number];

/** Every operation under /api/v1/admin/ in an OpenAPI document, path parameters filled with a random UUID. */
function adminOperations(doc: OpenApi): { method: Method; path: string; label: string }[] {
  return Object.entries(doc.paths)
    .filter(([path]) => path.startsWith('/api/v1/admin/'))
    .flatMap(([path, ops]) =>
      METHODS.filter((method) => method in ops).map((method) => ({
        method,
        path: path.replace(/\{[^}]+\}/g, () => randomUUID()),
        label: `${method.toUpperCase()} ${path}`,
      })),
    );
}

/**
 * A tenant's member and owner get 403 on every admin route, and a caller without a token 401. The
 * routes are read from the committed openapi.json (and the live document, which may be ahead of it
 * until openapi.json is regenerated), never from a hand-kept list: a new admin route is covered the
 * day it is documented.
 */
describe('admin routes are for platform admins only', () => {
  let app: RunningPaymux;
  let owner: Merchant;
  let member: { authorization: string };
  let operations: { method: Method; path: string; label: string }[];

  beforeAll(async () => {
    app = await startTestApp();
    owner = await newMerchant(app);
    member = (await newMember(app, owner)).auth;
    const committed = JSON.parse(readFileSync(join(__dirname, '..', 'openapi.json'), 'utf8')) as OpenApi;
    const live = (await http(app).get('/docs-json').expect(200)).body as OpenApi;
    const byLabel = new Map(
      [...adminOperations(live), ...adminOperations(committed)].map((o) => [o.label, o]),
    );
    operations = [...byLabel.values()];
  });
  afterAll(() => app.close());

  const call = (op: { method: Method; path: string }, auth?: { authorization: string }): request.Test => {
    const req = http(app)[op.method](op.path);
    if (auth) void req.set(auth);
    return op.method === 'get' || op.method === 'delete' ? req : req.send({});
  };

  it('finds the admin routes in openapi.json', () => {
    const committed = JSON.parse(readFileSync(join(__dirname, '..', 'openapi.json'), 'utf8')) as OpenApi;
    expect(adminOperations(committed).length).toBeGreaterThan(0);
    expect(operations.length).toBeGreaterThanOrEqual(adminOperations(committed).length);
  });

  it('answers 403 to a tenant member and to a tenant owner, and 401 without a token, on every one', async () => {
    const answers: string[] = [];
    for (const op of operations) {
      const asMember = await call(op, member);
      const asOwner = await call(op, owner.auth);
      const anonymous = await call(op);
      answers.push(
        `${op.label}: ${asMember.status} ${String(asMember.body.code)} ${asOwner.status} ${String(asOwner.body.code)} ${anonymous.status}`,
      );
    }
    expect(answers).toEqual(operations.map((op) => `${op.label}: 403 forbidden 403 forbidden 401`));
  });
});
