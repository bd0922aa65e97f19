import { Logger } from '@nestjs/common';
import { DomainError } from '../common/domain-error';
import { ProviderError } from './contract/payment-provider';
import { PaymentErrors } from './payments.errors';

/**
 * The stable answer for a failed provider call: 502 provider_timeout / provider_unavailable /
 * provider_error, or 422 provider_credentials_rejected / provider_rejected, with the provider's message.
 * The one mapping of provider failures, for opening payments and for refunds alike.
 */
export function providerFailure(what: string, err: unknown, logger?: Logger): DomainError {
  if (err instanceof DomainError) return err;
  const message = err instanceof Error ? err.message : 'unknown error';
  logger?.warn(`${what}: provider call failed: ${message}`);
  if (err instanceof ProviderError) {
    const details = { provider_code: err.providerCode ?? null };
    switch (err.kind) {
      case 'timeout':
        return PaymentErrors.provider_timeout(`${what} did not answer in time: ${message}`, details);
      case 'unavailable':
        return PaymentErrors.provider_unavailable(`${what} is unavailable: ${message}`, details);
      case 'credentials':
        return PaymentErrors.provider_credentials_rejected(
          `${what} refused the tenant's credentials: ${message}`,
          details,
        );
      case 'rejected':
        return PaymentErrors.provider_rejected(`${what} refused the request: ${message}`, details);
    }
  }
  return PaymentErrors.provider_error(`${what} could not open the payment: ${message}`);
}
