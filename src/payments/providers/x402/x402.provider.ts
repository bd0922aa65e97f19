/**
 * x402 (docs/providers.md "x402"): USDC on Base, Base Sepolia, Solana and Solana devnet, paid by answering
 * an HTTP 402. Opening a payment calls nobody (only the facilitator's /supported, for Solana's fee
 * payer): it stores the v1 `accepts` list, one `exact` requirement per configured network that has an
 * address to pay to; the order's pay_url is paymux's own `/api/v1/x402/orders/:id` (X402Controller),
 * which answers 402 with that list and settles an `X-PAYMENT` (v1) or `PAYMENT-SIGNATURE` (v2) through
 * the facilitator (`facilitator_url`, else PAYMUX_X402_BASE_URL, else https://x402.org/facilitator).
 * There are no webhooks and no refunds.
 *
 * Reconciliation (queryPayment). A facilitator has no status API, so the only unfinished state is a
 * settle whose answer never came (timeout, 5xx): X402Controller then keeps the exact /settle body on
 * the payment (`action.settling`, phase `unknown`) and never asks the payer to pay again. To decide, the
 * same body is sent to /settle again:
 * - `success: true`: the transfer landed now (the first never did) or the facilitator recognises it as
 *   settled: succeeded;
 * - a refusal that is a property of the payload itself (bad signature, wrong recipient or value,
 *   unknown scheme or network, malformed): the first settle cannot have moved money either: failed;
 * - anything else, notably a used EIP-3009 nonce, an expired authorization or insufficient funds:
 *   these are also what a re-send says when the FIRST settle landed on chain (the nonce is consumed,
 *   the balance spent), and the facilitator cannot say by whom. paymux cannot tell "landed" from "never
 *   landed" without a chain lookup, so the payment stays pending (and the order open, see close()),
 *   logged for an operator to check the payer's transfer on chain. Never guessed either way.
 * A guard that is still `in_flight` (a request is verifying or settling right now) is left alone unless
 * it is older than STALE_SETTLE_MS (the process died mid-verify or mid-settle: the payer's signed
 * payment is then settled by reconciliation).
 *
 * Unsure: the exact errorReason a given facilitator uses for a reused nonce (the x402 error list has
 * none); it does not matter here, since every unlisted reason is treated as "unknown". Solana's
 * `extra.feePayer` comes from the facilitator's /supported (`kinds[].extra.feePayer`); when that is
 * unreachable at order creation it is left out and filled in when the 402 is served.
 */
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { TenantUrlClient } from '../../../common/tenant-url-client';
import { AppConfig } from '../../../config/app-config';
import { canonicalChain } from '../../contract/chains';
import { fromMinorUnits, toMinorUnits } from '../../../common/money';
import {
  CreatedPayment,
  CreatePaymentInput,
  NotificationRejected,
  PaymentProvider,
  PaymentRef,
  ProviderContext,
  ProviderError,
  ProviderStatus,
  RawReply,
  VerifiedEvent,
} from '../../contract/payment-provider';
import { FacilitatorClient } from './x402.facilitator';
import { buildRequirements, configuredNetworks } from './x402.offer';
import {
  isX402Network,
  SettleAnswer,
  settledValue,
  SettlementRecord,
  X402_NETWORKS,
  X402Action,
  X402Requirement,
} from './x402.wire';

/** Longest authorization window paymux asks for. */
const MAX_TIMEOUT_SECONDS = 300;
const MIN_TIMEOUT_SECONDS = 60;
/** An `in_flight` settle guard older than this belongs to a request that died. */
const STALE_SETTLE_MS = 5 * 60 * 1000;

/**
 * Refusals that depend only on the payment payload and requirements: a re-sent settle that gets one
 * proves the first could not have moved money either.
 */
const PAYLOAD_FAULTS: ReadonlySet<string> = new Set([
  'invalid_exact_evm_payload_signature',
  'invalid_exact_evm_payload_recipient_mismatch',
  'invalid_exact_evm_payload_authorization_value',
  'invalid_network',
  'invalid_scheme',
  'unsupported_scheme',
  'invalid_payload',
  'invalid_payment_requirements',
  'invalid_x402_version',
]);

/**
 * Settle refusals that mean nothing moved and the payer may pay again with a new authorization. An
 * `unexpected_*` error, a Solana confirmation timeout or any reason not recognised here may follow a
 * broadcast transaction: those are "unknown", never "pay again".
 */
export function settleRefusalIsFinal(reason: string | undefined): boolean {
  if (!reason) return false;
  return (
    reason.startsWith('invalid_') ||
    reason === 'insufficient_funds' ||
    reason === 'unsupported_scheme' ||
    reason === 'payment_expired' ||
    reason === 'settle_exact_svm_block_height_exceeded'
  );
}

/** What a re-sent settle means for a payment whose first settle went unanswered (see header). */
export function verdictOfResettle(answer: SettleAnswer): ProviderStatus['status'] {
  if (answer.success) return 'succeeded';
  if (answer.errorReason && PAYLOAD_FAULTS.has(answer.errorReason)) return 'failed';
  return 'pending';
}

/**
 * Where the settle bookkeeping of an attempt is kept (the payments layer's X402Store): the adapter
 * reads it and records a settlement it learnt of, and stores nothing itself.
 */
export interface X402Settlements {
  action(tenantId: string, paymentId: string): Promise<X402Action | null>;
  recordSettlement(tenantId: string, paymentId: string, settlement: SettlementRecord): Promise<void>;
}

export const X402_SETTLEMENTS = Symbol('X402_SETTLEMENTS');

@Injectable()
export class X402Provider implements PaymentProvider {
  readonly id = 'x402' as const;
  readonly methods = ['x402'] as const;
  private readonly logger = new Logger(X402Provider.name);
  private readonly allowPrivateFacilitator: boolean;

  constructor(
    @Inject(X402_SETTLEMENTS) private readonly store: X402Settlements,
    @Optional() config?: AppConfig,
    @Optional() private readonly urls?: TenantUrlClient,
  ) {
    this.allowPrivateFacilitator = config?.x402AllowPrivateFacilitator ?? false;
  }

  /** The facilitator for this tenant: its own `facilitator_url` (checked at each call), else the platform's. */
  facilitator(ctx: ProviderContext): FacilitatorClient {
    return FacilitatorClient.of(ctx, { allowPrivate: this.allowPrivateFacilitator, urls: this.urls });
  }

  /** USDC on base, base-sepolia, solana, solana-devnet (or routing's chains BASE and SOL / SOLANA). */
  supports(q: { method: string; currency: string; network?: string }): boolean {
    if (q.method !== 'x402' || q.currency.trim().toUpperCase() !== 'USDC') return false;
    if (q.network === undefined) return true;
    const name = q.network.trim().toLowerCase();
    if (isX402Network(name)) return true;
    const chain = canonicalChain(name);
    return chain === 'BASE' || chain === 'SOL';
  }

  /** x402 collects USDC: a fiat order is converted with the FX table (USD -> USDC) first. */
  chargeCurrency(): string {
    return 'USDC';
  }

  async createPayment(ctx: ProviderContext, input: CreatePaymentInput): Promise<CreatedPayment> {
    if (input.currency !== 'USDC')
      throw new ProviderError('rejected', `x402 charges USDC, not ${input.currency}`, 'unsupported_currency');
    const chain = input.route ? canonicalChain(input.route.chain) : undefined;
    const networks = configuredNetworks(ctx.credentials.networks ?? '', chain);
    const needsFeePayer = networks.some(
      (n) => X402_NETWORKS[n].family === 'svm' && Boolean(ctx.credentials.pay_to_solana),
    );
    const remaining = Math.floor((input.expiresAt.getTime() - Date.now()) / 1000);
    const requirements = buildRequirements({
      amountAtomic: toMinorUnits('USDC', input.amount),
      resource: payUrlFromCheckout(input.checkoutUrl, input.orderId),
      description: input.description,
      maxTimeoutSeconds: Math.max(MIN_TIMEOUT_SECONDS, Math.min(MAX_TIMEOUT_SECONDS, remaining)),
      networks: ctx.credentials.networks ?? '',
      payToEvm: ctx.credentials.pay_to_evm,
      payToSolana: ctx.credentials.pay_to_solana,
      chain,
      feePayers: needsFeePayer ? await this.facilitator(ctx).feePayers() : {},
    });
    if (requirements.length === 0) {
      throw new ProviderError(
        'credentials',
        `no configured x402 network${chain ? ` on ${chain}` : ''} has an address to pay to`,
        'no_network',
      );
    }
    const action: X402Action = { kind: 'x402', requirements };
    return { providerRef: `x402_${input.paymentId.replace(/-/g, '')}`, action };
  }

  /**
   * The requirements to serve in a 402: the stored ones, with a Solana fee payer filled in when it
   * was unknown when the payment was opened.
   */
  async offerOf(ctx: ProviderContext, action: X402Action): Promise<X402Requirement[]> {
    const missing = action.requirements.some(
      (r) => X402_NETWORKS[r.network].family === 'svm' && typeof r.extra.feePayer !== 'string',
    );
    if (!missing) return action.requirements;
    const feePayers = await this.facilitator(ctx).feePayers();
    return action.requirements.map((r) =>
      X402_NETWORKS[r.network].family === 'svm' &&
      typeof r.extra.feePayer !== 'string' &&
      feePayers[r.network]
        ? { ...r, extra: { ...r.extra, feePayer: feePayers[r.network] } }
        : r,
    );
  }

  /** x402 has no callbacks: anything posted to its webhook URL is refused. */
  verifyNotification(): Promise<VerifiedEvent> {
    return Promise.reject(new NotificationRejected('x402 sends no notifications'));
  }

  acknowledge(result: VerifiedEvent | Error): RawReply {
    if (result instanceof Error) return { status: 400, body: { received: false, error: result.message } };
    return { status: 200, body: { received: true } };
  }

  /** See the header: only a settle whose answer was lost is asked about again. */
  async queryPayment(ctx: ProviderContext, ref: PaymentRef): Promise<ProviderStatus> {
    const action = await this.store.action(ctx.tenantId, ref.paymentId);
    if (action?.settlement?.response.success) return settledStatus(action.settlement.value);
    const settling = action?.settling;
    if (!settling) return { status: 'pending' };
    if (settling.phase === 'in_flight' && Date.now() - Date.parse(settling.started_at) < STALE_SETTLE_MS)
      return { status: 'pending' };
    const answer = await this.facilitator(ctx).settle(settling.request);
    const verdict = verdictOfResettle(answer);
    if (verdict === 'succeeded') {
      const value = settledValue(settling.request, answer);
      await this.store.recordSettlement(ctx.tenantId, ref.paymentId, {
        x402Version: settling.request.x402Version,
        response: answer,
        value,
        settled_at: new Date().toISOString(),
      });
      return settledStatus(value);
    }
    if (verdict === 'pending') {
      this.logger.warn(
        `x402 payment ${ref.paymentId}: a re-sent settle answered ${answer.errorReason ?? 'no reason'}; ` +
          `whether the first settle landed is unknown (nonce ${settling.nonce ?? 'n/a'}): check the chain`,
      );
    }
    return { status: verdict };
  }

  /**
   * Nothing to close at a facilitator. While a settle is unresolved the order must not expire (the
   * money may have moved), so closing then fails and the expiry sweeper waits.
   */
  async close(ctx: ProviderContext, ref: PaymentRef): Promise<void> {
    const action = await this.store.action(ctx.tenantId, ref.paymentId);
    if (action?.settling && !action.settlement)
      throw new ProviderError('unavailable', 'an x402 settle is unresolved; reconciliation decides');
  }
}

/**
 * The order's pay_url (PaymentsService.payUrlOf) from its checkout URL: both hang off the platform's
 * public base, `${base}/checkout/:id` and `${base}/api/v1/x402/orders/:id`.
 */
export function payUrlFromCheckout(checkoutUrl: string, orderId: string): string {
  const base = checkoutUrl.replace(/\/checkout\/[^/]+$/, '');
  return `${base}/api/v1/x402/orders/${orderId}`;
}

/** A success as the core checks it: what moved, in USDC (a different amount is flagged, not credited). */
function settledStatus(value: string): ProviderStatus {
  return { status: 'succeeded', amount: fromMinorUnits('USDC', value), currency: 'USDC' };
}
