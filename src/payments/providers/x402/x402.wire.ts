/**
 * x402's wire (docs/providers.md "x402"): the networks paymux offers, the v1 and v2 payment requirements,
 * the facilitator's request and answer shapes, and the base64-JSON headers. The zod schemas and the
 * header codecs come from `@x402/core`.
 *
 * tsconfig's node10 resolution does not read a package's `exports` map, while Node and Jest do (and
 * refuse a deep `dist/cjs/...` require). So the types come from the files and the values from the
 * exported subpaths.
 */
import type * as CoreHttp from '@x402/core/dist/cjs/http';
import type * as CoreSchemas from '@x402/core/dist/cjs/schemas';
import type {
  PaymentRequired as CorePaymentRequired,
  PaymentRequirements as CoreRequirementsV2,
  SettleResponse as CoreSettleResponse,
} from '@x402/core/dist/cjs/types';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const coreHttp = require('@x402/core/http') as typeof CoreHttp;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const coreSchemas = require('@x402/core/schemas') as typeof CoreSchemas;

export type RequirementsV2 = CoreRequirementsV2;
export type PaymentRequiredV2 = CorePaymentRequired;
export type PaymentPayloadV1 = CoreSchemas.PaymentPayloadV1;
export type PaymentPayloadV2 = CoreSchemas.PaymentPayloadV2;

/** Request headers: v1 `X-PAYMENT`, v2 `PAYMENT-SIGNATURE` (lower case: Node's header names). */
export const PAYMENT_HEADER_V1 = 'x-payment';
export const PAYMENT_HEADER_V2 = 'payment-signature';
/** Answer headers. */
export const RESPONSE_HEADER_V1 = 'X-PAYMENT-RESPONSE';
export const RESPONSE_HEADER_V2 = 'PAYMENT-RESPONSE';
export const REQUIRED_HEADER_V2 = 'PAYMENT-REQUIRED';

export type X402Network = 'base' | 'base-sepolia' | 'solana' | 'solana-devnet';

interface NetworkSpec {
  family: 'evm' | 'svm';
  /** The v2 (CAIP-2) name. */
  caip2: `${string}:${string}`;
  /** USDC: the ERC-20 contract or the SPL mint. */
  asset: string;
  /** How routing names the chain (src/payments/routing.ts). */
  chain: 'BASE' | 'SOL';
  /** EVM: the token's EIP-712 domain, which the payer's EIP-3009 signature commits to. */
  eip712?: { name: string; version: string };
}

/** USDC on the four networks paymux offers; 6 decimals everywhere. */
export const X402_NETWORKS: Readonly<Record<X402Network, NetworkSpec>> = Object.freeze({
  base: {
    family: 'evm',
    caip2: 'eip155:8453',
    asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
    chain: 'BASE',
    eip712: { name: 'USD Coin', version: '2' },
  },
  'base-sepolia': {
    family: 'evm',
    caip2: 'eip155:84532',
    asset: '0x036CbD53842c5426634e7929541eC2318f3dCF7e',
    chain: 'BASE',
    eip712: { name: 'USDC', version: '2' },
  },
  solana: {
    family: 'svm',
    caip2: 'solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp',
    asset: 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v',
    chain: 'SOL',
  },
  'solana-devnet': {
    family: 'svm',
    caip2: 'solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1',
    asset: '4zMMC9srt5Ri5X14GAgXhaHii3GnPAEERYPJgZJDncDU',
    chain: 'SOL',
  },
});

export function isX402Network(name: string): name is X402Network {
  return Object.prototype.hasOwnProperty.call(X402_NETWORKS, name);
}

/** The v1 name of a v1 or CAIP-2 network name; undefined when paymux does not offer it. */
export function networkNamed(name: string): X402Network | undefined {
  if (isX402Network(name)) return name;
  return (Object.keys(X402_NETWORKS) as X402Network[]).find((n) => X402_NETWORKS[n].caip2 === name);
}

/** One v1 `accepts` entry as paymux emits it: every optional field of the core's schema is set. */
export interface X402Requirement extends CoreSchemas.PaymentRequirementsV1 {
  scheme: 'exact';
  network: X402Network;
  mimeType: string;
  extra: Record<string, unknown>;
}

/** What createPayment stores on the payment (`payments.action`), plus the settle bookkeeping. */
export interface X402Action {
  kind: 'x402';
  requirements: X402Requirement[];
  /** A settle was started (in flight, or its outcome unknown): see x402.store.ts. */
  settling?: SettlingRecord;
  /** The facilitator's successful settle answer, served again on every later request. */
  settlement?: SettlementRecord;
}

export interface FacilitatorRequest {
  x402Version: 1 | 2;
  paymentPayload: PaymentPayloadV1 | PaymentPayloadV2;
  paymentRequirements: X402Requirement | RequirementsV2;
}

export interface SettlingRecord {
  /** Who holds the guard; only the holder releases it. */
  claim: string;
  /** `in_flight`: a request is settling now; `unknown`: it gave up (timeout, 5xx) and the money may have moved. */
  phase: 'in_flight' | 'unknown';
  started_at: string;
  /** The exact body sent to /settle, so reconciliation can send it again. */
  request: FacilitatorRequest;
  /** EVM: the EIP-3009 nonce; Solana: absent. */
  nonce?: string;
  /** Which payment holds the guard (x402.offer.ts paymentKeyOf): a duplicate of it is told to wait. */
  payment_key?: string;
  reason?: string;
}

export interface SettlementRecord {
  x402Version: 1 | 2;
  response: SettleAnswer;
  /** Atomic USDC moved: the settle answer's `amount`, else the authorized value, else the requirement's. */
  value: string;
  settled_at: string;
  /** The payment that settled (x402.offer.ts paymentKeyOf). */
  payment_key?: string;
}

/** `POST /verify` answer. */
export interface VerifyAnswer {
  isValid: boolean;
  invalidReason?: string;
  invalidMessage?: string;
  payer?: string;
}

/** `POST /settle` answer (v1 networks are not CAIP-2, so the core's v2 type is too strict here). */
export interface SettleAnswer {
  success: boolean;
  errorReason?: string;
  errorMessage?: string;
  payer?: string;
  transaction: string;
  network: string;
  /** v2: what was settled, atomic units, when the scheme reports it. */
  amount?: string;
}

export interface SupportedAnswer {
  kinds: { x402Version: number; scheme: string; network: string; extra?: Record<string, unknown> }[];
}

/**
 * What a settle of this request moves, in atomic units: the settle answer's `amount` when it reports
 * one, else the EIP-3009 authorization's value, else the requirement's amount (Solana: the facilitator
 * checked the transaction against it).
 */
export function settledValue(request: FacilitatorRequest, answer?: SettleAnswer): string {
  if (answer?.amount !== undefined && /^\d+$/.test(answer.amount)) return answer.amount;
  const auth = request.paymentPayload.payload.authorization as Record<string, unknown> | undefined;
  if (typeof auth?.value === 'string' && /^\d+$/.test(auth.value)) return auth.value;
  const r = request.paymentRequirements;
  return 'maxAmountRequired' in r ? r.maxAmountRequired : r.amount;
}

/** The v2 form of a v1 requirement: CAIP-2 network, `amount`, no resource fields. */
export function toV2(r: X402Requirement): RequirementsV2 {
  return {
    scheme: r.scheme,
    network: X402_NETWORKS[r.network].caip2,
    amount: r.maxAmountRequired,
    asset: r.asset,
    payTo: r.payTo,
    maxTimeoutSeconds: r.maxTimeoutSeconds,
    extra: r.extra,
  };
}

/** The v2 `PAYMENT-REQUIRED` header for an offer. */
export function paymentRequiredHeader(requirements: X402Requirement[], error: string): string {
  const first = requirements[0];
  const required: PaymentRequiredV2 = {
    x402Version: 2,
    error,
    resource: { url: first.resource, description: first.description, mimeType: first.mimeType },
    accepts: requirements.map(toV2),
  };
  return coreHttp.encodePaymentRequiredHeader(required);
}

/** `X-PAYMENT-RESPONSE` / `PAYMENT-RESPONSE`: base64 of the settle answer's JSON. */
export function paymentResponseHeader(answer: SettleAnswer): string {
  // The core's SettleResponse types `network` as CAIP-2; a v1 answer carries a v1 name. Same JSON.
  return coreHttp.encodePaymentResponseHeader(answer as CoreSettleResponse);
}

/** A payment refused before the facilitator is asked; `message` is shown to the payer. */
export class PaymentRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PaymentRefused';
  }
}

export type DecodedPayment =
  { x402Version: 1; payload: PaymentPayloadV1 } | { x402Version: 2; payload: PaymentPayloadV2 };

/** Decode and shape-check a payment header (base64 JSON); throws a message for the payer. */
export function decodePaymentHeader(value: string): DecodedPayment {
  let json: unknown;
  try {
    json = coreHttp.decodePaymentSignatureHeader(value.trim());
  } catch {
    throw new PaymentRefused('the payment header is not base64 JSON');
  }
  const parsed = coreSchemas.PaymentPayloadSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PaymentRefused(
      `the payment header is malformed: ${issue.path.join('.') || 'payload'} ${issue.message}`,
    );
  }
  const payload = parsed.data;
  return payload.x402Version === 1
    ? { x402Version: 1, payload: payload }
    : { x402Version: 2, payload: payload };
}
