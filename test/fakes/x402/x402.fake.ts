/**
 * An in-process fake x402 facilitator (docs/providers.md "x402") on a free port: `GET /supported`,
 * `POST /verify`, `POST /settle`, protocol v1 and v2. It records every request, checks each body's
 * shape (x402Version, requirements), and checks a payment against the requirements the way a
 * facilitator does: network, scheme, recipient, exact value, validity window, unused nonce, and a
 * signature over all of it.
 *
 * The signature scheme is the fake's own stand-in for EIP-712/EIP-3009 (and for a signed Solana
 * transaction): a payer wallet is a random HMAC key registered with the fake, and its "signature" is
 * HMAC-SHA512(key, JSON[network, asset, from, to, value, validAfter, validBefore, nonce]) plus a
 * recovery byte, 65 bytes like the real one. Like EIP-712's domain it commits to the asset and network,
 * so a payment signed for another token or chain is refused at /verify.
 *
 * Settling consumes the nonce (a second settle of it: `success: false`,
 * `invalid_exact_evm_payload_authorization_nonce`) and records the transfer. `settleMode` makes
 * /settle answer 500, hang (nothing moves), land the transfer and then hang (the answer is lost), or
 * refuse with a chosen errorReason; `settleDelayMs` and `verifyDelayMs` slow them down.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface Wallet {
  address: string;
  key: Buffer;
}

export interface Transfer {
  network: string;
  from: string;
  to: string;
  value: string;
  nonce: string;
  transaction: string;
}

export type SettleMode = 'ok' | 'fail500' | 'hang' | 'land-then-hang' | { refuse: string };

/** The fake's own table (written independently of the adapter's): network -> USDC and EIP-712 domain. */
const ASSETS: Record<string, { v2: string; asset: string; evm: boolean; name?: string; version?: string }> = {
  base: {
    v2: 'eip155:8453',
    asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
    evm: true,
    name: 'USD Coin',
    version: '2',
  },
  'base-sepolia': {
    v2: 'eip155:84532',
    asset: '0x036CbD53842c5426634e7929541eC2318f3dCF7e',
    evm: true,
    name: 'USDC',
    version: '2',
  },
  solana: {
    v2: 'solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp',
    asset: 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v',
    evm: false,
  },
  'solana-devnet': {
    v2: 'solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1',
    asset: '4zMMC9srt5Ri5X14GAgXhaHii3GnPAEERYPJgZJDncDU',
    evm: false,
  },
};

const v1NameOf = (network: string): string | undefined =>
  ASSETS[network] ? network : Object.keys(ASSETS).find((k) => ASSETS[k].v2 === network);

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
export const base58ish = (n: number): string =>
  Array.from(randomBytes(n), (b) => BASE58[b % BASE58.length]).join('');

type Json = Record<string, unknown>;

class Invalid extends Error {}

export class X402FacilitatorFake {
  readonly requests: RecordedRequest[] = [];
  /** Transfers that landed, by nonce (EVM) or transaction signature (Solana). */
  readonly transfers = new Map<string, Transfer>();
  readonly feePayer = base58ish(44);
  settleMode: SettleMode = 'ok';
  settleDelayMs = 0;
  verifyDelayMs = 0;
  supportedMode: 'ok' | 'fail500' = 'ok';
  url = '';
  private readonly wallets = new Map<string, Wallet>();
  private readonly hanging: ServerResponse[] = [];
  private server: Server | undefined;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void this.handle(req, res, Buffer.concat(chunks).toString('utf8'));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging.splice(0)) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** A payer known to the fake (its "private key" is the HMAC key). */
  wallet(kind: 'evm' | 'svm' = 'evm'): Wallet {
    const w = {
      address: kind === 'evm' ? `0x${randomBytes(20).toString('hex')}` : base58ish(44),
      key: randomBytes(32),
    };
    this.wallets.set(w.address.toLowerCase(), w);
    return w;
  }

  requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  /**
   * An EIP-3009 authorization for a v1 requirement, signed with the fake's scheme. `overrides` change
   * the authorization after the fact (the signature then covers the changed fields, as a payer's
   * wallet would sign them); `signFor` signs for another asset or network than the requirement's.
   */
  evmPayload(
    w: Wallet,
    req: { network: string; payTo: string; maxAmountRequired: string; asset: string },
    overrides: Partial<Record<'to' | 'value' | 'validAfter' | 'validBefore' | 'nonce', string>> = {},
    signFor: { asset?: string; network?: string; key?: Buffer } = {},
  ): { signature: string; authorization: Record<string, string> } {
    const now = Math.floor(Date.now() / 1000);
    const authorization = {
      from: w.address,
      to: req.payTo,
      value: req.maxAmountRequired,
      validAfter: String(now - 600),
      validBefore: String(now + 300),
      nonce: `0x${randomBytes(32).toString('hex')}`,
      ...overrides,
    };
    const signature = evmSignature(
      signFor.key ?? w.key,
      v1NameOf(signFor.network ?? req.network) ?? '',
      signFor.asset ?? req.asset,
      authorization,
    );
    return { signature, authorization };
  }

  /** A "Solana transaction" paying a v1 requirement through the fake's fee payer. */
  svmPayload(
    w: Wallet,
    req: { network: string; payTo: string; maxAmountRequired: string; asset: string },
    overrides: Partial<Record<'to' | 'amount' | 'mint' | 'feePayer', string>> = {},
  ): { transaction: string } {
    const tx: Record<string, string> = {
      from: w.address,
      to: req.payTo,
      amount: req.maxAmountRequired,
      mint: req.asset,
      feePayer: this.feePayer,
      blockhash: base58ish(44),
      ...overrides,
    };
    tx.sig = svmSignature(w.key, v1NameOf(req.network) ?? '', tx);
    return { transaction: Buffer.from(JSON.stringify(tx)).toString('base64') };
  }

  private async handle(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    this.requests.push({ method: req.method ?? '', path, headers: req.headers, body });
    const send = (status: number, json: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    };
    if (req.method === 'GET' && path === '/supported') {
      if (this.supportedMode === 'fail500') return send(500, { error: 'internal' });
      return send(200, this.supported());
    }
    if (req.method !== 'POST' || (path !== '/verify' && path !== '/settle'))
      return send(404, { error: 'not found' });
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json'))
      return send(415, { error: 'content-type must be application/json' });
    let parsed: { version: number; payload: Json; req: Json };
    try {
      parsed = parseRequest(body);
    } catch (err) {
      return send(400, { error: `invalid request: ${(err as Error).message}` });
    }
    const network = String(parsed.req.network);
    let checked: { payer: string; key: string; transfer: Omit<Transfer, 'transaction'> };
    try {
      checked = this.check(parsed);
    } catch (err) {
      const reason = (err as Error).message;
      if (path === '/verify') return send(200, { isValid: false, invalidReason: reason, payer: '' });
      return send(200, { success: false, errorReason: reason, transaction: '', network, payer: '' });
    }
    if (path === '/verify') {
      if (this.verifyDelayMs > 0) await new Promise((r) => setTimeout(r, this.verifyDelayMs));
      return send(200, { isValid: true, payer: checked.payer });
    }

    if (this.settleDelayMs > 0) await new Promise((r) => setTimeout(r, this.settleDelayMs));
    const mode = this.settleMode;
    if (mode === 'fail500') return send(500, { error: 'internal error' });
    if (mode === 'hang') {
      this.hanging.push(res);
      return;
    }
    if (typeof mode === 'object')
      return send(200, { success: false, errorReason: mode.refuse, transaction: '', network, payer: '' });
    if (this.transfers.has(checked.key)) {
      const evm = ASSETS[v1NameOf(network) ?? '']?.evm;
      return send(200, {
        success: false,
        errorReason: evm ? 'invalid_exact_evm_payload_authorization_nonce' : 'invalid_transaction_state',
        transaction: '',
        network,
        payer: checked.payer,
      });
    }
    const transaction = ASSETS[v1NameOf(network) ?? '']?.evm
      ? `0x${randomBytes(32).toString('hex')}`
      : base58ish(88);
    this.transfers.set(checked.key, { ...checked.transfer, transaction });
    if (mode === 'land-then-hang') {
      this.hanging.push(res);
      return;
    }
    return send(200, { success: true, transaction, network, payer: checked.payer });
  }

  private supported(): Json {
    const kinds: Json[] = [];
    for (const [name, a] of Object.entries(ASSETS)) {
      const extra = a.evm ? undefined : { feePayer: this.feePayer };
      kinds.push({ x402Version: 1, scheme: 'exact', network: name, ...(extra ? { extra } : {}) });
      kinds.push({ x402Version: 2, scheme: 'exact', network: a.v2, ...(extra ? { extra } : {}) });
    }
    return { kinds, extensions: [], signers: {} };
  }

  /** The facilitator's checks; throws the x402 errorReason. */
  private check(p: { version: number; payload: Json; req: Json }): {
    payer: string;
    key: string;
    transfer: Omit<Transfer, 'transaction'>;
  } {
    const req = p.req;
    const v1Name = v1NameOf(String(req.network));
    const asset = v1Name ? ASSETS[v1Name] : undefined;
    if (!v1Name || !asset) throw new Invalid('invalid_network');
    const payloadNetwork =
      p.version === 1 ? p.payload.network : (p.payload.accepted as Json | undefined)?.network;
    if (payloadNetwork !== req.network) throw new Invalid('invalid_network');
    const scheme = p.version === 1 ? p.payload.scheme : (p.payload.accepted as Json | undefined)?.scheme;
    if (scheme !== 'exact' || req.scheme !== 'exact') throw new Invalid('unsupported_scheme');
    if (req.asset !== asset.asset) throw new Invalid('invalid_payment_requirements');
    const amount = String(p.version === 1 ? req.maxAmountRequired : req.amount);
    const inner = p.payload.payload as Json;
    const now = Math.floor(Date.now() / 1000);

    if (asset.evm) {
      const extra = req.extra as Json;
      if (extra?.name !== asset.name || extra?.version !== asset.version)
        throw new Invalid('invalid_exact_evm_payload_signature');
      const auth = inner.authorization as Record<string, string> | undefined;
      if (!auth || typeof inner.signature !== 'string') throw new Invalid('invalid_payload');
      const wallet = this.wallets.get(String(auth.from).toLowerCase());
      if (!wallet || evmSignature(wallet.key, v1Name, String(req.asset), auth) !== inner.signature)
        throw new Invalid('invalid_exact_evm_payload_signature');
      if (String(auth.to).toLowerCase() !== String(req.payTo).toLowerCase())
        throw new Invalid('invalid_exact_evm_payload_recipient_mismatch');
      if (auth.value !== amount) throw new Invalid('invalid_exact_evm_payload_authorization_value');
      if (Number(auth.validBefore) < now + 6)
        throw new Invalid('invalid_exact_evm_payload_authorization_valid_before');
      if (Number(auth.validAfter) > now)
        throw new Invalid('invalid_exact_evm_payload_authorization_valid_after');
      if (this.transfers.has(auth.nonce)) throw new Invalid('invalid_exact_evm_payload_authorization_nonce');
      return {
        payer: auth.from,
        key: auth.nonce,
        transfer: { network: v1Name, from: auth.from, to: auth.to, value: auth.value, nonce: auth.nonce },
      };
    }
    const extra = req.extra as Json;
    if (extra?.feePayer !== this.feePayer) throw new Invalid('invalid_exact_svm_payload_missing_fee_payer');
    if (typeof inner.transaction !== 'string') throw new Invalid('invalid_payload');
    let tx: Record<string, string>;
    try {
      tx = JSON.parse(Buffer.from(inner.transaction, 'base64').toString('utf8')) as Record<string, string>;
    } catch {
      throw new Invalid('invalid_exact_svm_payload_transaction');
    }
    const wallet = this.wallets.get(String(tx.from).toLowerCase());
    const { sig, ...unsigned } = tx;
    if (!wallet || svmSignature(wallet.key, v1Name, unsigned) !== sig)
      throw new Invalid('invalid_exact_svm_payload_transaction_signature');
    if (tx.to !== req.payTo || tx.mint !== req.asset || tx.amount !== amount || tx.feePayer !== this.feePayer)
      throw new Invalid('invalid_exact_svm_payload_transaction_instructions');
    return {
      payer: tx.from,
      key: sig,
      transfer: { network: v1Name, from: tx.from, to: tx.to, value: tx.amount, nonce: sig },
    };
  }
}

/** Body checks: x402Version, a payload of that version, requirements of that version's shape. */
function parseRequest(body: string): { version: number; payload: Json; req: Json } {
  const b = JSON.parse(body) as Json;
  const version = b.x402Version;
  if (version !== 1 && version !== 2) throw new Error('x402Version must be 1 or 2');
  const payload = b.paymentPayload as Json | undefined;
  const req = b.paymentRequirements as Json | undefined;
  if (!payload || typeof payload !== 'object') throw new Error('paymentPayload is required');
  if (!req || typeof req !== 'object') throw new Error('paymentRequirements is required');
  if (payload.x402Version !== version) throw new Error('paymentPayload.x402Version differs');
  if (typeof payload.payload !== 'object' || payload.payload === null)
    throw new Error('paymentPayload.payload is required');
  const str = (k: string): boolean => typeof req[k] === 'string' && req[k].length > 0;
  const common =
    ['scheme', 'network', 'payTo', 'asset'].every(str) && typeof req.maxTimeoutSeconds === 'number';
  const shaped =
    version === 1
      ? common &&
        ['maxAmountRequired', 'resource', 'description', 'mimeType'].every(str) &&
        /^\d+$/.test(String(req.maxAmountRequired))
      : common && str('amount') && /^\d+$/.test(String(req.amount)) && String(req.network).includes(':');
  if (!shaped) throw new Error(`paymentRequirements is not a v${version} requirement`);
  if (typeof req.extra !== 'object' || req.extra === null)
    throw new Error('paymentRequirements.extra is required');
  if (version === 1 && (typeof payload.network !== 'string' || typeof payload.scheme !== 'string'))
    throw new Error('paymentPayload.network and scheme are required');
  if (version === 2 && typeof payload.accepted !== 'object')
    throw new Error('paymentPayload.accepted is required');
  return { version, payload, req };
}

function evmSignature(key: Buffer, network: string, asset: string, a: Record<string, string>): string {
  const signed = JSON.stringify([
    network,
    asset.toLowerCase(),
    a.from.toLowerCase(),
    a.to.toLowerCase(),
    a.value,
    a.validAfter,
    a.validBefore,
    a.nonce,
  ]);
  return `0x${createHmac('sha512', key).update(signed).digest('hex')}1b`;
}

function svmSignature(key: Buffer, network: string, tx: Record<string, string>): string {
  const signed = JSON.stringify([network, tx.from, tx.to, tx.amount, tx.mint, tx.feePayer, tx.blockhash]);
  return createHmac('sha512', key).update(signed).digest('base64');
}
