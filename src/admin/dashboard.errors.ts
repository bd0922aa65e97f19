import { defineErrors } from '../common/domain-error';

/** The dashboard figures' date range (GET /api/v1/dashboard, GET /api/v1/admin/dashboard). */
export const DashboardErrors = defineErrors({
  /** `from` is after `to`. */
  invalid_range: 400,
  /** More than DASHBOARD_MAX_DAYS days. */
  range_too_long: 400,
});
