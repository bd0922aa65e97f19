import { defineErrors } from '../common/domain-error';

/** Merchant notifications. */
export const NotificationErrors = defineErrors({
  notification_not_found: 404,
});
