/**
 * When a failed notification is tried again, in seconds after the previous attempt
 * (docs/api-contract.md, Merchant API; the same cadence as WeChat Pay's): 15 retries over about a day.
 */
export const RETRY_SCHEDULE_SECONDS: readonly number[] = Object.freeze([
  15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600,
]);

/** Whether a receiver's answer ends the notification: a 2xx whose body is `success` (any case). */
export function isAcknowledged(status: number, body: string): boolean {
  return status >= 200 && status < 300 && body.trim().toLowerCase() === 'success';
}
