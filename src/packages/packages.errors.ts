import { defineErrors } from '../common/domain-error';

/** Packages and their pricing terms. */
export const PackageErrors = defineErrors({
  custom_amount_not_supported: 400,
  amount_out_of_range: 400,
  package_not_found: 404,
  package_inactive: 422,
  package_not_for_application: 422,
});
