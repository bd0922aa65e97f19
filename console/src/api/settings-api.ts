import { api, ApiError, request, unwrap } from './client';
import type { components } from './schema';

/**
 * Types for the settings pages' routes that openapi.json does not have yet in this branch: members and
 * invitations, invitation accept, password reset (contracts.md, built by the "staff" helper). Called
 * through `request` (same cookie and CSRF header as the typed client). Move them to the generated schema
 * once openapi.json has them. The provider catalog is in the schema.
 */

export type Role = 'owner' | 'admin' | 'member';
export const ROLES: readonly Role[] = ['owner', 'admin', 'member'];

export type CatalogField = components['schemas']['ProviderCatalogFieldResponse'];
export type CatalogEntry = components['schemas']['ProviderCatalogEntryResponse'];

export const providerCatalog = (): Promise<{ data: CatalogEntry[] }> =>
  unwrap(api.GET('/api/v1/providers/catalog'));

export interface Member {
  user_id: string;
  email: string;
  name: string | null;
  role: Role;
  created_at: string;
}

export type InvitationStatus = 'pending' | 'accepted' | 'revoked' | 'expired';

export interface Invitation {
  id: string;
  email: string;
  role: Role;
  status: InvitationStatus;
  invited_by_email: string | null;
  expires_at: string;
  created_at: string;
  accepted_at: string | null;
}

export interface CreatedInvitation {
  id: string;
  email: string;
  role: Role;
  status: InvitationStatus;
  expires_at: string;
  created_at: string;
  accept_url: string;
}

export interface InvitationPreview {
  tenant_name: string;
  email: string;
  role: Role;
  expires_at: string;
  account_exists: boolean;
}

export interface AcceptedInvitation {
  tenant_id: string;
  tenant_name: string;
  email: string;
  role: Role;
}

export const members = {
  list: (): Promise<{ data: Member[] }> => request('GET', '/api/v1/members'),
  setRole: (userId: string, role: Role): Promise<Member> =>
    request('PATCH', `/api/v1/members/${encodeURIComponent(userId)}`, { body: { role } }),
  remove: (userId: string): Promise<void> =>
    request('DELETE', `/api/v1/members/${encodeURIComponent(userId)}`),
};

export const invitations = {
  list: (): Promise<{ data: Invitation[] }> => request('GET', '/api/v1/invitations'),
  create: (email: string, role: Role): Promise<CreatedInvitation> =>
    request('POST', '/api/v1/invitations', { body: { email, role } }),
  revoke: (id: string): Promise<void> => request('DELETE', `/api/v1/invitations/${encodeURIComponent(id)}`),
  preview: (token: string): Promise<InvitationPreview> =>
    request('GET', '/api/v1/invitations/preview', { query: { token } }),
  accept: (token: string, password: string, name?: string): Promise<AcceptedInvitation> =>
    request('POST', '/api/v1/invitations/accept', { body: { token, password, name } }),
};

export const resetPassword = (token: string, password: string): Promise<void> =>
  request('POST', '/api/v1/auth/password-reset', { body: { token, password } });

/**
 * The input a 400 names: `invalid_provider_credentials` carries `details.field`
 * (`credentials.secret_key`), `validation_failed` carries `details.fields: [{field, problems}]`.
 * Returns field name -> message, with the `credentials.` prefix dropped.
 */
export function fieldErrors(err: unknown): Record<string, string> {
  if (!(err instanceof ApiError)) return {};
  const details = (err.details ?? {}) as {
    field?: unknown;
    fields?: { field?: unknown; problems?: unknown }[];
  };
  const out: Record<string, string> = {};
  const strip = (f: string): string => f.replace(/^credentials\./, '');
  // "credentials.app_secret must be …" under the App secret input reads "must be …".
  if (typeof details.field === 'string')
    out[strip(details.field)] = err.message.startsWith(`${details.field} `)
      ? err.message.slice(details.field.length + 1)
      : err.message;
  if (Array.isArray(details.fields))
    for (const f of details.fields)
      if (typeof f.field === 'string')
        out[strip(f.field)] = Array.isArray(f.problems) ? f.problems.join(', ') : err.message;
  return out;
}
