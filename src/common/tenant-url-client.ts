/**
 * The one way paymux calls a URL a tenant gave it (a tenant's `webhook_url`, a merchant order's
 * `notify_url`, an x402 `facilitator_url`): only public addresses, checked where it matters.
 *
 * The host name is resolved once, by the connection itself (an undici Agent whose `connect.lookup`
 * refuses when any answer is private or reserved), and the socket connects to exactly the address
 * checked: a name that answers a public address to a first lookup and 127.0.0.1 to the next (DNS
 * rebinding) cannot slip a loopback connection past a check made earlier. A literal IP host is
 * never looked up, so it is checked before connecting. Redirects are never followed (undici's
 * `request` does not follow them): a 3xx is the answer.
 *
 * `allowPrivate` (NOTIFY_ALLOW_PRIVATE, PAYMUX_X402_ALLOW_PRIVATE_FACILITATOR: tests with local fakes,
 * refused in production by AppConfig) skips the address checks, nothing else.
 */
import { Inject, Injectable, OnModuleDestroy, Optional } from '@nestjs/common';
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, request } from 'undici';
import { isLoopbackName, isPrivateAddress } from './receiver-address';

/** Every address a host name resolves to (the seam tests use to answer what they want). */
export type ResolveHost = (host: string) => Promise<LookupAddress[]>;

export const RESOLVE_HOST = Symbol('RESOLVE_HOST');

const systemResolve: ResolveHost = (host) => dnsLookup(host, { all: true });

/**
 * The most of a tenant's answer paymux reads (64 KiB): what is kept of it is an excerpt or a small
 * JSON document, and a tenant's server must not make paymux buffer an endless body.
 */
export const MAX_ANSWER_BYTES = 64 * 1024;

/** The body as text, read up to `max` bytes; the rest is not read (the connection is dropped). */
async function readCapped(
  body: AsyncIterable<Buffer> & { destroy(): unknown },
  max: number,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const room = max - size;
    chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
    size += Math.min(chunk.length, room);
    if (size >= max) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Why a tenant's URL was not called: its host is, or resolves to, a private or loopback address. */
export class TenantUrlRefused extends Error {
  override readonly name = 'TenantUrlRefused';
}

export interface TenantUrlResponse {
  status: number;
  headers: Headers;
  /** The exact body text. */
  text: string;
}

export interface TenantUrlInit {
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** The whole call (connect, answer and body) is aborted after this long: a `TimeoutError`. */
  timeoutMs: number;
  /** Skip the address checks (NOTIFY_ALLOW_PRIVATE, PAYMUX_X402_ALLOW_PRIVATE_FACILITATOR). */
  allowPrivate: boolean;
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

@Injectable()
export class TenantUrlClient implements OnModuleDestroy {
  /** How host names are resolved; called at each new connection (see the header). */
  readonly resolve: ResolveHost;
  private readonly checked: Agent;
  private readonly unchecked = new Agent();

  constructor(@Optional() @Inject(RESOLVE_HOST) resolve?: ResolveHost) {
    this.resolve = resolve ?? systemResolve;
    this.checked = new Agent({
      connect: {
        lookup: (host: string, options: { all?: boolean }, callback: LookupCallback) =>
          void this.publicAddresses(host).then(
            (addresses) =>
              options.all
                ? callback(null, addresses)
                : callback(null, addresses[0].address, addresses[0].family),
            (err: NodeJS.ErrnoException) => callback(err, []),
          ),
      },
    });
  }

  /**
   * Why `url` may not be called, or null: checked before connecting, for a clear early answer (the
   * connection checks again, on its own lookup). A name that does not resolve is refused too.
   */
  async refusal(url: string, allowPrivate: boolean): Promise<string | null> {
    let host: string;
    try {
      host = hostOf(url);
    } catch {
      return 'not a URL';
    }
    if (allowPrivate) return null;
    try {
      if (isIP(host)) checkAddress(host, host);
      else await this.publicAddresses(host);
      return null;
    } catch (err) {
      return err instanceof TenantUrlRefused ? err.message : `${host} does not resolve`;
    }
  }

  /**
   * One call to a tenant's URL. Throws TenantUrlRefused when its host is (or resolves to) a private
   * address, a `TimeoutError` after `timeoutMs`, or the connection's own error; any HTTP answer,
   * 3xx included, is returned as is.
   */
  async request(url: string, init: TenantUrlInit): Promise<TenantUrlResponse> {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new TenantUrlRefused(`${parsed.protocol} is not http or https`);
    const host = hostOf(url);
    if (!init.allowPrivate) {
      if (isLoopbackName(host)) throw new TenantUrlRefused(`${host} is a loopback name`);
      // A literal address is connected to without any lookup: check it here.
      if (isIP(host)) checkAddress(host, host);
    }
    const signal = AbortSignal.timeout(init.timeoutMs);
    try {
      const res = await request(parsed, {
        method: init.method,
        headers: init.headers,
        body: init.body,
        signal,
        dispatcher: init.allowPrivate ? this.unchecked : this.checked,
      });
      const text = await readCapped(res.body, MAX_ANSWER_BYTES);
      const headers = new Headers();
      for (const [k, v] of Object.entries(res.headers))
        for (const one of Array.isArray(v) ? v : v === undefined ? [] : [v]) headers.append(k, one);
      return { status: res.statusCode, headers, text };
    } catch (err) {
      // undici reports an abort by the signal's reason or as its own AbortError: one TimeoutError.
      if (signal.aborted) throw signal.reason;
      // A refusal at connect (our lookup's error), however the client wraps it.
      const cause = (err as { cause?: unknown }).cause;
      throw cause instanceof TenantUrlRefused ? cause : err;
    }
  }

  /** The addresses of `host`, all public, else TenantUrlRefused (or the resolver's error). */
  private async publicAddresses(host: string): Promise<LookupAddress[]> {
    if (isLoopbackName(host)) throw new TenantUrlRefused(`${host} is a loopback name`);
    const addresses = await this.resolve(host);
    if (addresses.length === 0)
      throw Object.assign(new Error(`${host} does not resolve`), { code: 'ENOTFOUND' });
    for (const a of addresses) checkAddress(host, a.address);
    return addresses;
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([this.checked.close(), this.unchecked.close()]);
  }
}

function hostOf(url: string): string {
  return new URL(url).hostname.replace(/^\[|\]$/g, '');
}

function checkAddress(host: string, address: string): void {
  if (isPrivateAddress(address))
    throw new TenantUrlRefused(
      host === address
        ? `${host} is a private or loopback address`
        : `${host} resolves to the private or loopback address ${address}`,
    );
}
