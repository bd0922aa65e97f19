import type { FastifyReply } from 'fastify';
import { PaymentErrors } from '../payments.errors';
import type { Refund } from './refund.entity';
import { RefundResponse, toRefundResponse } from './refund.response';

/** An Idempotency-Key header, when given, is 1-255 printable ASCII characters. */
export function checkIdempotencyKey(key: string | undefined): void {
  if (key !== undefined && !/^[\x21-\x7e]{1,255}$/.test(key))
    throw PaymentErrors.invalid_idempotency_key('Idempotency-Key must be 1-255 printable ASCII characters');
}

/** A refund's answer: 202 while pending at the provider, 200 for a replay, else 201. */
export function refundReply(
  res: FastifyReply,
  { refund, replayed }: { refund: Refund; replayed: boolean },
): RefundResponse {
  res.status(refund.status === 'pending' ? 202 : replayed ? 200 : 201);
  if (replayed) res.header('Idempotent-Replayed', 'true');
  return toRefundResponse(refund);
}
