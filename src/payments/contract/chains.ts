/**
 * How paymux names blockchains, and the aliases clients and providers send for them (`trc20` -> `TRON`).
 * Part of the provider contract: adapters translate their networks with it, routing checks requests with it.
 */
const CHAIN_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  TRON: 'TRON',
  TRX: 'TRON',
  TRC20: 'TRON',
  BSC: 'BSC',
  BEP20: 'BSC',
  BNB: 'BSC',
  ETH: 'ETH',
  ERC20: 'ETH',
  ETHEREUM: 'ETH',
  SOL: 'SOL',
  SOLANA: 'SOL',
  BASE: 'BASE',
  BTC: 'BTC',
  BITCOIN: 'BTC',
});

/** The canonical chain name for an alias (`trc20` -> `TRON`), or undefined. */
export function canonicalChain(raw: string): string | undefined {
  const key = raw.trim().toUpperCase();
  return Object.prototype.hasOwnProperty.call(CHAIN_ALIASES, key) ? CHAIN_ALIASES[key] : undefined;
}
