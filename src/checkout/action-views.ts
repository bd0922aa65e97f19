import type { PaymentAction } from '../payments/contract/payment-provider';

/** How the hosted checkout shows a payment action: what its QR code encodes and the line under it. */
export interface ActionView {
  qrText: string | null;
  caption: string | null;
}

type ViewOf<K extends PaymentAction['kind']> = (
  action: Extract<PaymentAction, { kind: K }>,
  payUrl: string | null,
) => ActionView;

/**
 * One view per action kind (providers declare the kinds they produce in their definitions; the type
 * makes a new kind fail to compile until it has a view here). By default the QR encodes the payment
 * page itself, for a payer who would rather pay on a phone.
 */
export const ACTION_VIEWS: { readonly [K in PaymentAction['kind']]: ViewOf<K> } = {
  redirect: (_action, payUrl) => ({ qrText: payUrl, caption: null }),
  qr: (action) => ({ qrText: action.codeUrl, caption: null }),
  mini_program: (_action, payUrl) => ({ qrText: payUrl, caption: null }),
  crypto: (action) => ({
    qrText: action.address,
    caption: `${action.amount} ${action.token} (${action.network}) to ${action.address}`,
  }),
  x402: (_action, payUrl) => ({ qrText: payUrl, caption: null }),
};

/** The view of the latest attempt's action; no attempt yet: the payment page's QR, no caption. */
export function viewOfAction(action: PaymentAction | null, payUrl: string | null): ActionView {
  if (!action) return { qrText: payUrl, caption: null };
  return (ACTION_VIEWS[action.kind] as ViewOf<PaymentAction['kind']>)(action, payUrl);
}
