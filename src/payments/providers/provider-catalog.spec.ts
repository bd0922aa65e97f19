import { PROVIDERS } from './index';
import { providerCatalog } from './provider-catalog.controller';

describe('provider catalog', () => {
  const catalog = providerCatalog(PROVIDERS);

  it('lists every provider that takes an account, with its fields from its definition', () => {
    expect(catalog.map((p) => p.provider)).not.toContain('sandbox');
    const stripe = catalog.find((p) => p.provider === 'stripe');
    expect(stripe).toMatchObject({ display_name: 'Stripe', pay_ways: ['stripe'] });
    expect(stripe?.fields).toEqual([
      { name: 'secret_key', required: true, secret: true, kind: 'text', description: 'value' },
      { name: 'webhook_secret', required: true, secret: true, kind: 'text', description: 'value' },
    ]);
  });

  it('describes non-text kinds so a form can pick the input', () => {
    const x402 = catalog.find((p) => p.provider === 'x402');
    expect(x402?.fields.find((f) => f.name === 'networks')).toMatchObject({ kind: 'list', required: true });
    expect(x402?.fields.find((f) => f.name === 'facilitator_url')).toMatchObject({
      kind: 'url',
      description: 'https URL',
    });
  });
});
