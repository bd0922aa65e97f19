/** PayPal REST wire types (Orders v2, Payments v2, Notifications v1): only the fields paymux reads. */

export interface PayPalMoney {
  currency_code: string;
  /** Decimal text: "49.99", or "500" for JPY, HUF and TWD. */
  value: string;
}

export interface PayPalLink {
  href: string;
  rel: string;
  method?: string;
}

/** COMPLETED | DECLINED | PARTIALLY_REFUNDED | PENDING | REFUNDED | FAILED */
export interface PayPalCapture {
  id: string;
  status: string;
  amount?: PayPalMoney;
  custom_id?: string;
  invoice_id?: string;
  supplementary_data?: { related_ids?: { order_id?: string } };
}

/** CANCELLED | FAILED | PENDING | COMPLETED */
export interface PayPalRefund {
  id: string;
  status: string;
  amount?: PayPalMoney;
  invoice_id?: string;
  note_to_payer?: string;
}

export interface PayPalPurchaseUnit {
  reference_id?: string;
  custom_id?: string;
  invoice_id?: string;
  description?: string;
  amount?: PayPalMoney;
  payments?: { captures?: PayPalCapture[]; refunds?: PayPalRefund[] };
}

/** CREATED | SAVED | APPROVED | VOIDED | COMPLETED | PAYER_ACTION_REQUIRED */
export interface PayPalOrder {
  id: string;
  status: string;
  intent?: string;
  purchase_units?: PayPalPurchaseUnit[];
  links?: PayPalLink[];
}

export interface CreateOrderBody {
  intent: 'CAPTURE';
  purchase_units: {
    custom_id: string;
    invoice_id: string;
    description: string;
    amount: PayPalMoney;
  }[];
  payment_source: {
    paypal: {
      experience_context: { return_url: string; cancel_url: string; user_action: 'PAY_NOW' };
    };
  };
}

export interface RefundBody {
  amount: PayPalMoney;
  invoice_id?: string;
  note_to_payer?: string;
}

/** What `POST /v1/notifications/verify-webhook-signature` takes, but the event (spliced in verbatim). */
export interface WebhookTransmission {
  auth_algo: string;
  cert_url: string;
  transmission_id: string;
  transmission_sig: string;
  transmission_time: string;
}

/** A webhook event, as PayPal posts it. */
export interface PayPalWebhookEvent {
  id: string;
  event_type: string;
  resource_type?: string;
  create_time?: string;
  resource?: Record<string, unknown>;
}

/** PayPal's error shapes: REST `{name, message, details[{issue, description}]}`, OAuth `{error, error_description}`. */
export interface PayPalErrorBody {
  name?: string;
  message?: string;
  debug_id?: string;
  details?: { issue?: string; description?: string; field?: string }[];
  error?: string;
  error_description?: string;
}
