import type { EntityManager } from 'typeorm';
import { AuditEntry } from './audit-entry.entity';
import { recordAudit, REDACTED, redactSecrets } from './audit-log';

describe('redactSecrets', () => {
  it('replaces the value of every secret-looking key, at any depth and inside arrays', () => {
    const input = {
      name: 'shop',
      webhook_secret: 'whsec_1',
      password: 'hunter2',
      passwordHash: '$argon2id$...',
      private_key: '-----BEGIN',
      privateKey: 'pk',
      'private-key': 'pk2',
      api_key: 'ak',
      apiKey: 'ak2',
      access_token: 'tok',
      Token: 'TOK',
      credentials: { secret_key: 'sk_live_1' },
      signature: 'abc',
      client_cert: 'pem',
      nested: {
        deep: [{ client_secret: 'cs', label: 'kept' }, 'plain string', 7, null],
        mode: 'live',
      },
    };
    expect(redactSecrets(input)).toEqual({
      name: 'shop',
      webhook_secret: REDACTED,
      password: REDACTED,
      passwordHash: REDACTED,
      private_key: REDACTED,
      privateKey: REDACTED,
      'private-key': REDACTED,
      api_key: REDACTED,
      apiKey: REDACTED,
      access_token: REDACTED,
      Token: REDACTED,
      credentials: REDACTED,
      signature: REDACTED,
      client_cert: REDACTED,
      nested: {
        deep: [{ client_secret: REDACTED, label: 'kept' }, 'plain string', 7, null],
        mode: 'live',
      },
    });
  });

  it('keeps ids and names that only contain "key" (key_id, api_key_id, changed_fields)', () => {
    const input = { key_id: 'mk_1', api_key_id: 'uuid', changed_fields: ['secret_key'], monkey: 'x' };
    expect(redactSecrets(input)).toEqual(input);
  });

  it('does not change its input', () => {
    const input = { a: { password: 'p' }, list: [{ token: 't' }] };
    const copy = structuredClone(input);
    redactSecrets(input);
    expect(input).toEqual(copy);
  });

  it('passes scalars through and writes dates as ISO text', () => {
    expect(redactSecrets('secret')).toBe('secret');
    expect(redactSecrets(3)).toBe(3);
    expect(redactSecrets(null)).toBeNull();
    expect(redactSecrets(undefined)).toBeUndefined();
    expect(redactSecrets({ at: new Date('2026-01-02T03:04:05.678Z') })).toEqual({
      at: '2026-01-02T03:04:05.678Z',
    });
  });
});

describe('recordAudit', () => {
  const manager = (): { m: EntityManager; insert: jest.Mock } => {
    const insert = jest.fn().mockResolvedValue(undefined);
    return { m: { insert } as unknown as EntityManager, insert };
  };

  it('writes one row with the actor, the request origin and before/after redacted', async () => {
    const { m, insert } = manager();
    await recordAudit(
      m,
      { userId: 'u1', origin: { requestId: 'req-1', ip: '203.0.113.7' } },
      {
        tenantId: 't1',
        action: 'tenant.settings.update',
        target: 'tenant:t1',
        before: { webhook_url: null, webhook_secret: 'old' },
        after: { webhook_url: 'https://x.test', webhook_secret: 'new' },
        data: { reason: 'why' },
      },
    );
    expect(insert).toHaveBeenCalledTimes(1);
    expect(insert).toHaveBeenCalledWith(AuditEntry, {
      tenantId: 't1',
      actorId: 'u1',
      action: 'tenant.settings.update',
      target: 'tenant:t1',
      data: {
        reason: 'why',
        before: { webhook_url: null, webhook_secret: REDACTED },
        after: { webhook_url: 'https://x.test', webhook_secret: REDACTED },
      },
      requestId: 'req-1',
      ip: '203.0.113.7',
    });
  });

  it('stores null request id and ip without a request (CLI), and no before/after keys when not given', async () => {
    const { m, insert } = manager();
    await recordAudit(m, { userId: 'u1' }, { tenantId: null, action: 'user.x', target: 'user:u1' });
    expect(insert).toHaveBeenCalledWith(
      AuditEntry,
      expect.objectContaining({ data: {}, requestId: null, ip: null, tenantId: null }),
    );
  });
});
