/**
 * How a bad setting is reported: by name, with what is accepted, and never with a secret's value
 * (a password in a URL, a key, a token): a start-up error ends up in logs and tickets.
 */

/** Settings whose value is never shown, even when wrong. */
const SECRET_SETTINGS = new Set([
  'JWT_SECRET',
  'PAYMUX_MASTER_KEY',
  'PAYMUX_MASTER_KEY_PREVIOUS',
  'ADMIN_PASSWORD',
]);

/** A value as it may appear in an error: secrets hidden, URL passwords masked, long values cut. */
export function describeValue(name: string, value: unknown): string {
  if (value === undefined) return '(unset)';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (SECRET_SETTINGS.has(name)) return `(hidden, ${text.length} characters)`;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    // Any URL may carry user:password@; show it with the password masked, or not at all.
    try {
      const url = new URL(text);
      if (url.password) url.password = '***';
      return JSON.stringify(url.toString());
    } catch {
      return `(hidden: not a valid URL, ${text.length} characters)`;
    }
  }
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);
}

/** One message naming every bad setting, one per line. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `Invalid configuration (${problems.length} bad setting${problems.length > 1 ? 's' : ''}):\n${problems
        .map((p) => `  ${p}`)
        .join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}
