import { defineErrors } from '../common/domain-error';

/** The platform operator's user administration. */
export const AdminErrors = defineErrors({
  cannot_disable_self: 409,
});
