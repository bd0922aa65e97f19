import { createPrivateKey, createPublicKey } from 'node:crypto';
import { isLiteralPrivateHost } from './receiver-address';

/**
 * Credential schemas: what a provider account's `credentials` object must hold, declared field by
 * field in each provider's definition (src/payments/providers/<id>/<id>.definition.ts) and checked
 * here. Knows field kinds, no provider.
 */

/** One credential field of a provider account. */
export interface CredentialField {
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

export type Credentials = Record<string, string | string[]>;

export interface CredentialSchema {
  readonly fields: Readonly<Record<string, CredentialField>>;
  /** A rule across fields, run once every field passed; throws CredentialsError. */
  readonly check?: (creds: Readonly<Credentials>) => void;
}

/** A required or optional plain text field. */
export const textField = (required = true, secret = false): CredentialField => ({
  required,
  secret,
  kind: 'text',
});

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
   * Let a `url` field be http or name a loopback or private host (PAYMUX_X402_ALLOW_PRIVATE_FACILITATOR:
   * tests with local fakes; refused in production).
   */
  allowPrivateUrls?: boolean;
}

/** Check `raw` against `provider`'s schema field by field; the error names the first bad field. */
export function validateCredentialFields(
  provider: string,
  schema: CredentialSchema,
  raw: unknown,
  options: ValidationOptions = {},
): Credentials {
  const spec = schema.fields;
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
      const refusal = publicUrlRefusal(value, options.allowPrivateUrls === true);
      if (refusal) throw new CredentialsError(path, `${path} ${refusal}`);
    }
    if (field.kind === 'aes256_key' && Buffer.byteLength(value, 'utf8') !== 32) {
      throw new CredentialsError(
        path,
        `${path} must be exactly 32 bytes (it is an AES-256 key), not ${Buffer.byteLength(value, 'utf8')}`,
      );
    }
    if (!checks[field.kind](value))
      throw new CredentialsError(path, `${path} is not a valid ${CREDENTIAL_KIND_DESCRIPTIONS[field.kind]}`);
    out[name] = value;
  }
  schema.check?.(out);
  return out;
}

/** What each field kind holds, in a few words (error messages; the provider catalog's field descriptions). */
export const CREDENTIAL_KIND_DESCRIPTIONS: Readonly<Record<CredentialField['kind'], string>> = {
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

const checks: Record<CredentialField['kind'], (v: string) => boolean> = {
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
 * Why a tenant-given URL (x402's `facilitator_url`) may not be saved, or null: paymux POSTs payments
 * to it, so it must be https and must not name, literally, a loopback or private host (a name is
 * resolved again at each call: see FacilitatorClient). Operator settings (PAYMUX_*_BASE_URL) are not
 * checked.
 */
export function publicUrlRefusal(url: string, allowPrivate: boolean): string | null {
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

/** `creds` with every secret field of the schema as SECRET_MASK. */
export function maskCredentialFields(schema: CredentialSchema | undefined, creds: Credentials): Credentials {
  const out: Credentials = {};
  for (const [name, value] of Object.entries(creds)) {
    out[name] = schema?.fields[name]?.secret ? SECRET_MASK : value;
  }
  return out;
}

/**
 * Injection token: every provider's credential schema by provider id, provided by the payments
 * layer (ProviderCatalogModule) for the provider accounts in tenants.
 */
export const CREDENTIAL_SCHEMAS = Symbol('CREDENTIAL_SCHEMAS');
export type CredentialSchemas = Readonly<Record<string, CredentialSchema>>;
