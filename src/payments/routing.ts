import type { PaymentRoute } from './contract/payment-provider';
import { canonicalChain } from './contract/chains';
import { PaymentErrors } from './payments.errors';

/**
 * The crypto pairs paymux routes (Alchemy Pay's token table, TokenPay's, and x402's USDC): token -> chains.
 * Chains are named one way inside paymux (chains.ts, with the aliases clients and providers send).
 */
export const CRYPTO_ROUTES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  USDT: ['TRON', 'BSC', 'ETH', 'SOL'],
  USDC: ['BASE', 'SOL', 'TRON', 'BSC', 'ETH'],
  ETH: ['ETH', 'BSC'],
  BTC: ['BTC'],
  TRX: ['TRON'],
});

/**
 * Check a requested token and chain against the routable pairs; the 400 names the field, like the
 * merchant API's "Invalid parameter `chain_type`".
 */
export function parseRoute(currency: string, chain: string): PaymentRoute {
  const token = currency.trim().toUpperCase();
  const chains = Object.prototype.hasOwnProperty.call(CRYPTO_ROUTES, token)
    ? CRYPTO_ROUTES[token]
    : undefined;
  if (!chains)
    throw PaymentErrors.unsupported_route(`pay_currency ${currency} is not a routable token`, {
      field: 'pay_currency',
      supported: Object.keys(CRYPTO_ROUTES),
    });
  const canonical = canonicalChain(chain);
  if (!canonical || !chains.includes(canonical))
    throw PaymentErrors.unsupported_route(`chain ${chain} does not carry ${token}`, {
      field: 'chain',
      supported: chains,
    });
  return { currency: token, chain: canonical };
}
