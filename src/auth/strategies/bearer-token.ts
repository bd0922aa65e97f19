/** Platform tokens start with this; anything else after `Bearer` is taken for a JWT. */
export const PLATFORM_TOKEN_PREFIX = 'pmx_';

/** The token of an `Authorization: Bearer <token>` header, or null when there is none. */
export function bearerToken(req: { headers: Record<string, string | string[] | undefined> }): string | null {
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match ? match[1] : null;
}

export const isPlatformToken = (token: string): boolean => token.startsWith(PLATFORM_TOKEN_PREFIX);
