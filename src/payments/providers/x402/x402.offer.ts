/**
 * What paymux asks an x402 payer for (the `accepts` list of the 402) and the checks a payment must
 * pass BEFORE the facilitator is asked to verify or settle it. Pure functions.
 */
import { createHash } from 'node:crypto';
import {
  DecodedPayment,
  isX402Network,
  networkNamed,
  PaymentRefused,
  toV2,
  X402_NETWORKS,
  X402Network,
  X402Requirement,
} from './x402.wire';

export interface OfferInput {
  /** USDC in atomic units (6 decimals), integer text. */
  amountAtomic: string;
  /** The URL being paid for: the order's pay_url. */
  resource: string;
  description: string;
  maxTimeoutSeconds: number;
  /** The account's `networks`, comma-joined as the registry passes lists. */
  networks: string;
  payToEvm?: string;
  payToSolana?: string;
  /** Only networks of this routing chain (`BASE`, `SOL`), when the payment was routed. */
  chain?: string;
  /** The facilitator's Solana fee payer per network, where known. */
  feePayers: Partial<Record<X402Network, string>>;
}

/** The configured networks paymux knows, in the account's order, without duplicates. */
export function configuredNetworks(networks: string, chain?: string): X402Network[] {
  const names = networks
    .split(',')
    .map((n) => n.trim().toLowerCase())
    .filter(isX402Network);
  return [...new Set(names)].filter((n) => !chain || X402_NETWORKS[n].chain === chain);
}

/**
 * One `exact` requirement per configured network that has an address to pay to (EVM networks need
 * pay_to_evm, Solana ones pay_to_solana). Solana's `extra.feePayer` is the facilitator's fee payer;
 * when it is not known yet it is left out (the 402 fills it in later, see X402Provider.offerOf).
 */
export function buildRequirements(input: OfferInput): X402Requirement[] {
  const out: X402Requirement[] = [];
  for (const network of configuredNetworks(input.networks, input.chain)) {
    const spec = X402_NETWORKS[network];
    const payTo = spec.family === 'evm' ? input.payToEvm : input.payToSolana;
    if (!payTo) continue;
    const feePayer = input.feePayers[network];
    out.push({
      scheme: 'exact',
      network,
      maxAmountRequired: input.amountAtomic,
      resource: input.resource,
      description: input.description,
      mimeType: 'application/json',
      payTo,
      maxTimeoutSeconds: input.maxTimeoutSeconds,
      asset: spec.asset,
      extra: spec.eip712 ? { ...spec.eip712 } : feePayer ? { feePayer } : {},
    });
  }
  return out;
}

/** A payment that passed the local checks, with the requirement it pays. */
export interface CheckedPayment {
  requirement: X402Requirement;
  /** Atomic units the payment moves. */
  value: string;
  payer?: string;
  /** EVM: the EIP-3009 nonce (unique per authorization). */
  nonce?: string;
}

/** An authorization must stay valid at least this long: the settle has to land before it lapses. */
const VALIDITY_MARGIN_SECONDS = 6;

const EVM_ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const UINT = /^(0|[1-9]\d{0,77})$/;

/**
 * Select the requirement the payment names and check everything paymux can check itself: scheme,
 * network, v2's echoed requirement (which covers the asset), and for EVM the EIP-3009 authorization's
 * recipient, exact value (integers compared as BigInt) and validity window. The signature itself and
 * the asset a v1 EVM signature commits to (its EIP-712 domain) are the facilitator's /verify to check,
 * as is the content of a Solana transaction.
 */
export function checkPayment(
  decoded: DecodedPayment,
  offer: X402Requirement[],
  nowSeconds: number,
): CheckedPayment {
  const { payload } = decoded;
  const scheme = decoded.x402Version === 1 ? decoded.payload.scheme : decoded.payload.accepted.scheme;
  const networkName = decoded.x402Version === 1 ? decoded.payload.network : decoded.payload.accepted.network;
  if (scheme !== 'exact') throw new PaymentRefused(`scheme ${scheme} is not offered; only exact is`);
  const network = networkNamed(networkName);
  const requirement = network ? offer.find((r) => r.network === network) : undefined;
  if (!requirement) {
    throw new PaymentRefused(
      `network ${networkName} is not offered for this order; offered: ${offer.map((r) => r.network).join(', ')}`,
    );
  }
  if (decoded.x402Version === 2) {
    const want = toV2(requirement);
    const got = decoded.payload.accepted;
    for (const field of ['network', 'amount', 'asset', 'payTo'] as const) {
      const same =
        field === 'payTo' && X402_NETWORKS[requirement.network].family === 'evm'
          ? got[field].toLowerCase() === want[field].toLowerCase()
          : got[field] === want[field];
      if (!same)
        throw new PaymentRefused(`accepted.${field} ${got[field]} differs from the offer (${want[field]})`);
    }
  }
  if (X402_NETWORKS[requirement.network].family === 'svm') {
    const tx = payload.payload.transaction;
    if (typeof tx !== 'string' || tx.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(tx))
      throw new PaymentRefused('payload.transaction (a base64 Solana transaction) is missing');
    return { requirement, value: requirement.maxAmountRequired };
  }
  return checkEvm(payload.payload, requirement, nowSeconds);
}

function checkEvm(
  payload: Record<string, unknown>,
  requirement: X402Requirement,
  nowSeconds: number,
): CheckedPayment {
  const auth = payload.authorization as Record<string, unknown> | undefined;
  if (typeof payload.signature !== 'string' || !/^0x[0-9a-fA-F]+$/.test(payload.signature))
    throw new PaymentRefused('payload.signature is missing');
  if (typeof auth !== 'object' || auth === null) throw new PaymentRefused('payload.authorization is missing');
  const text = (field: string, pattern: RegExp): string => {
    const v = auth[field];
    if (typeof v !== 'string' || !pattern.test(v))
      throw new PaymentRefused(`payload.authorization.${field} is missing or malformed`);
    return v;
  };
  const from = text('from', EVM_ADDRESS);
  const to = text('to', EVM_ADDRESS);
  const value = text('value', UINT);
  const validAfter = text('validAfter', UINT);
  const validBefore = text('validBefore', UINT);
  const nonce = text('nonce', /^0x[0-9a-fA-F]{64}$/);
  if (to.toLowerCase() !== requirement.payTo.toLowerCase())
    throw new PaymentRefused(`authorization.to ${to} is not the payee ${requirement.payTo}`);
  if (BigInt(value) !== BigInt(requirement.maxAmountRequired))
    throw new PaymentRefused(
      `authorization.value ${value} differs from the required amount ${requirement.maxAmountRequired}`,
    );
  const now = BigInt(nowSeconds);
  if (BigInt(validBefore) <= now + BigInt(VALIDITY_MARGIN_SECONDS))
    throw new PaymentRefused('the authorization has expired (validBefore)');
  if (BigInt(validAfter) > now) throw new PaymentRefused('the authorization is not valid yet (validAfter)');
  return { requirement, value, payer: from, nonce };
}

/**
 * What makes two payment headers the same payment, known before any facilitator call: EVM, the
 * network, the payer and its EIP-3009 nonce (one authorization, however it is re-encoded); Solana, the
 * network and a hash of the signed transaction.
 */
export function paymentKeyOf(decoded: DecodedPayment, checked: CheckedPayment): string {
  const network = checked.requirement.network;
  if (checked.nonce && checked.payer)
    return `evm:${network}:${checked.payer.toLowerCase()}:${checked.nonce.toLowerCase()}`;
  const transaction = JSON.stringify(decoded.payload.payload.transaction ?? decoded.payload.payload);
  return `svm:${network}:${createHash('sha256').update(transaction).digest('hex')}`;
}
