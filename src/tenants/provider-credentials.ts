import { createPrivateKey, createPublicKey } from 'node:crypto';
import { isLiteralPrivateHost } from '../common/receiver-address';

/** One credential field of a provider account (DESIGN.md section 7). */
interface FieldSpec {
  required: boolean;
  /** Never returned; shown masked. */
  secret: boolean;
  kind:
    | 'text'
    | 'aes256_key'
    | 'private_pem'
    | 'public_key'
    | 'url'
    | 'evm_address'
    | 'solana_address'
    | 'list'
    | 'amount_unit';
}

const text = (required = true, secret = false): FieldSpec => ({ required, secret, kind: 'text' });

export const PROVIDER_CREDENTIALS: Readonly<Record<string, Readonly<Record<string, FieldSpec>>>> = {
  stripe: { secret_key: text(true, true), webhook_secret: text(true, true) },
  paypal: { client_id: text(), client_secret: text(true, true), webhook_id: text() },
  alipay: {
    app_id: text(),
    private_key: { required: true, secret: true, kind: 'private_pem' },
    alipay_public_key: { required: true, secret: false, kind: 'public_key' },
  },
  wechat: {
    mchid: text(),
    appid: text(),
    serial_no: text(),
    private_key: { required: true, secret: true, kind: 'private_pem' },
    // The AES-256-GCM key of WeChat's callbacks: exactly 32 bytes.
    apiv3_key: { required: true, secret: true, kind: 'aes256_key' },
    platform_serial: text(),
    platform_public_key: { required: true, secret: false, kind: 'public_key' },
  },
  x402: {
    pay_to_evm: { required: false, secret: false, kind: 'evm_address' },
    pay_to_solana: { required: false, secret: false, kind: 'solana_address' },
    networks: { required: true, secret: false, kind: 'list' },
    facilitator_url: { required: false, secret: false, kind: 'url' },
  },
  alchemy: { app_id: text(), app_secret: text(true, true), payment_tokens: text(false) },
  tokenpay: {
    app_id: text(),
    mch_id: text(),
    // The AES-256 key of TokenPay's request signatures and callbacks: exactly 32 bytes.
    app_secret: { required: true, secret: true, kind: 'aes256_key' },
    to_address: text(false),
    chain: text(false),
    currency: text(false),
    // *Unsure* in TokenPay's docs: `atomic` (default) or `decimal` amounts on the wire.
    amount_unit: { required: false, secret: false, kind: 'amount_unit' },
  },
};

export type Credentials = Record<string, string | string[]>;

export class CredentialsError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ValidationOptions {
  /**
   * Let a tenant's x402 `facilitator_url` be http or name a loopback or private host
   * (PAYMUX_X402_ALLOW_PRIVATE_FACILITATOR: tests with local fakes; refused in production).
   */
  allowPrivateFacilitator?: boolean;
}

/** Check a provider's credentials field by field; the error names the first bad field. */
export function validateCredentials(
  provider: string,
  raw: unknown,
  options: ValidationOptions = {},
): Credentials {
  const spec = PROVIDER_CREDENTIALS[provider];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new CredentialsError('credentials', 'credentials must be an object');
  }
  const given = raw as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!(key in spec))
      throw new CredentialsError(`credentials.${key}`, `credentials.${key} is not a ${provider} credential`);
  }
  const out: Credentials = {};
  for (const [name, field] of Object.entries(spec)) {
    const value = given[name];
    const path = `credentials.${name}`;
    if (value === undefined || value === null || value === '') {
      if (field.required) throw new CredentialsError(path, `${path} is required`);
      continue;
    }
    if (field.kind === 'list') {
      if (
        !Array.isArray(value) ||
        value.length === 0 ||
        !value.every((v) => typeof v === 'string' && /^[a-z0-9:-]{1,64}$/i.test(v))
      ) {
        throw new CredentialsError(path, `${path} must be a non-empty list of names`);
      }
      out[name] = value as string[];
      continue;
    }
    if (typeof value !== 'string' || value.length > 16384)
      throw new CredentialsError(path, `${path} must be a string`);
    if (field.kind === 'url') {
      const refusal = facilitatorUrlRefusal(value, options.allowPrivateFacilitator === true);
      if (refusal) throw new CredentialsError(path, `${path} ${refusal}`);
    }
    if (field.kind === 'aes256_key' && Buffer.byteLength(value, 'utf8') !== 32) {
      throw new CredentialsError(
        path,
        `${path} must be exactly 32 bytes (it is an AES-256 key), not ${Buffer.byteLength(value, 'utf8')}`,
      );
    }
    if (!checks[field.kind](value))
      throw new CredentialsError(path, `${path} is not a valid ${describe[field.kind]}`);
    out[name] = value;
  }
  if (provider === 'x402' && !out.pay_to_evm && !out.pay_to_solana) {
    throw new CredentialsError(
      'credentials.pay_to_evm',
      'x402 needs credentials.pay_to_evm or credentials.pay_to_solana',
    );
  }
  return out;
}

const describe: Record<FieldSpec['kind'], string> = {
  text: 'value',
  aes256_key: '32-byte key',
  private_pem: 'PEM private key',
  public_key: 'PEM or base64 DER public key',
  url: 'https URL',
  evm_address: '0x address',
  solana_address: 'base58 address',
  list: 'list',
  amount_unit: 'amount unit (atomic or decimal)',
};

const checks: Record<FieldSpec['kind'], (v: string) => boolean> = {
  text: (v) => v.trim().length > 0 && !v.includes('\u0000'),
  aes256_key: (v) => Buffer.byteLength(v, 'utf8') === 32,
  private_pem: (v) => attempt(() => createPrivateKey(v)),
  // Alipay hands out its public key as bare base64 DER as often as PEM.
  public_key: (v) =>
    attempt(() => createPublicKey(v)) ||
    attempt(() => createPublicKey({ key: Buffer.from(v, 'base64'), format: 'der', type: 'spki' })),
  url: (v) => /^https?:\/\/[^\s]+$/.test(v) && attempt(() => new URL(v)),
  evm_address: (v) => /^0x[0-9a-fA-F]{40}$/.test(v),
  solana_address: (v) => /^[1-9A-HJ-NP-Za-km-z]{32,44}$/.test(v),
  list: () => true,
  amount_unit: (v) => v === 'atomic' || v === 'decimal',
};

/**
 * Why a tenant-given facilitator URL (the only `url` credential) may not be saved, or null: paymux POSTs payments to it, so it
 * must be https and must not name, literally, a loopback or private host (a name is resolved again
 * at each call: see FacilitatorClient). The operator's PAYMUX_X402_BASE_URL is not checked.
 */
export function facilitatorUrlRefusal(url: string, allowPrivate: boolean): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an https URL';
  }
  if (parsed.protocol !== 'https:' && !(allowPrivate && parsed.protocol === 'http:'))
    return 'must be an https URL';
  if (!parsed.hostname) return 'must be an https URL';
  if (parsed.username || parsed.password) return 'must not carry a user name or password';
  if (!allowPrivate && isLiteralPrivateHost(url)) return 'must not name a private or loopback address';
  return null;
}

function attempt(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
}

/** Shown in place of every secret field: no part of the secret, not even its last characters. */
export const SECRET_MASK = '••••';

/**
 * The view that may be returned: secrets as SECRET_MASK. Applied when an account is stored and
 * again when it is read, so views stored by older versions (which kept the last four characters)
 * show nothing either.
 */
export function maskCredentials(provider: string, creds: Credentials): Credentials {
  const spec = PROVIDER_CREDENTIALS[provider] ?? {};
  const out: Credentials = {};
  for (const [name, value] of Object.entries(creds)) {
    out[name] = spec[name]?.secret ? SECRET_MASK : value;
  }
  return out;
}
