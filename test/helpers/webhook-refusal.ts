import { randomUUID } from 'node:crypto';
import type { RunningPaymux } from '../../src/bootstrap';
import { http, newMerchant } from './app';

/** A callback reply as the caller sees it: status, content type and the exact body. */
export interface CallbackReply {
  status: number;
  contentType: string;
  body: string;
}

export async function postCallback(
  app: RunningPaymux,
  provider: string,
  tenantId: string,
  body = '{"id":"evt_probe","type":"payment.succeeded"}',
): Promise<CallbackReply> {
  const res = await http(app)
    .post(`/api/v1/webhooks/${provider}/${tenantId}`)
    .set('content-type', 'application/json')
    .send(body)
    .buffer(true)
    .parse((r, done) => {
      let text = '';
      r.on('data', (c: Buffer) => (text += c.toString('utf8')));
      r.on('end', () => done(null, text));
    });
  return { status: res.status, contentType: String(res.headers['content-type']), body: res.body as string };
}

/**
 * One unsigned callback of `provider` sent to the tenant that has it enabled (a failed signature),
 * to an unknown tenant, to a tenant that has not enabled it and to a path that names no tenant: all
 * four must get the very same reply, so a caller cannot tell which providers a tenant uses.
 * Returns that reply.
 */
export async function expectOneRefusal(
  app: RunningPaymux,
  provider: string,
  enabledTenantId: string,
): Promise<CallbackReply> {
  const badSignature = await postCallback(app, provider, enabledTenantId);
  const without = await newMerchant(app);
  const others = {
    unknownTenant: await postCallback(app, provider, randomUUID()),
    notEnabled: await postCallback(app, provider, without.tenantId),
    notATenantId: await postCallback(app, provider, 'not-a-uuid'),
  };
  expect(others).toEqual({
    unknownTenant: badSignature,
    notEnabled: badSignature,
    notATenantId: badSignature,
  });
  return badSignature;
}
