import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import type { PaymentAction } from '../contract/payment-provider';

/** The public URLs of an order a payer follows: its pay_url and the hosted checkout. */
@Injectable()
export class PayUrls {
  constructor(private readonly config: AppConfig) {}

  /**
   * The URL a payer follows for an action: the redirect target; x402's own endpoint (a client pays it
   * by answering its 402); else our checkout (QR, crypto address, mini-program).
   */
  payUrlOf(action: PaymentAction, orderId: string): string {
    if (action.kind === 'redirect') return action.url;
    if (action.kind === 'x402') return `${this.config.baseUrl()}/api/v1/x402/orders/${orderId}`;
    return this.checkoutUrl(orderId);
  }

  checkoutUrl(orderId: string): string {
    return `${this.config.baseUrl()}/checkout/${orderId}`;
  }
}
