import { ProviderError } from '../../contract/payment-provider';
import { AlchemyProvider } from './alchemy.provider';
import {
  alchemySign,
  alchemySignText,
  callbackSignedFields,
  CREATE_SIGNED_FIELDS,
  pick,
  signMatches,
} from './alchemy.signing';
import {
  alchemyAmountUnit,
  alchemyNetwork,
  errorForCode,
  fromOrderAmount,
  merchantOrderNoOf,
  outcomeOf,
  toOrderAmount,
} from './alchemy.wire';

describe('Alchemy Pay signature (SHA-512 over sorted k=v&key=secret)', () => {
  it('matches the docs/providers.md known-answer vector', () => {
    const fields = { email: '123@qq.com', appId: 'qmamnbodyqzbdr0w' };
    const secret = '6fdbaac29eb94bc6b36547ad705e9298';
    expect(alchemySignText(fields, secret)).toBe(
      'appId=qmamnbodyqzbdr0w&email=123@qq.com&key=6fdbaac29eb94bc6b36547ad705e9298',
    );
    expect(alchemySign(fields, secret)).toBe(
      '8979EEB59CF15246A04E033962CA4084973A9D0F2F5CC08F07B99E9D0338F4486ED7700CF78F6365C2E399ED593B3EF9059F2EC808B5107CED8CC17BA0475962',
    );
  });

  it('signs only the Sign=Y fields of a create request, leaving out empty ones', () => {
    // Expected value computed independently with the CLI:
    //   printf '%s' 'appId=TEST000001&merchantOrderNo=17236123450000&orderAmount=100&payCurrency=USD&paymentTokens=ETH&userId=user@example.com&key=secret-for-test' | sha512sum
    const request = {
      appId: 'TEST000001',
      callbackURL: 'https://example.test/cb',
      expiredTime: '60',
      merchantOrderNo: '17236123450000',
      orderAmount: '100',
      orderModel: 'ORDER',
      payCurrency: 'USD',
      paymentExchange: '',
      paymentTokens: 'ETH',
      paymentNetworks: 'ETH',
      redirectURL: 'https://example.test/back',
      userId: 'user@example.com',
    };
    expect(alchemySign(pick(request, CREATE_SIGNED_FIELDS), 'secret-for-test')).toBe(
      '38799A8FDAFDAD4E5E8E8A858A9458D124CEAFF624943EC150575EBFB026EE7A5C40E70AFB8ED6C67B39A9068DF9DD0CA86B9A73601997C75BDB3043339641F7',
    );
  });

  it('signs every non-empty scalar callback field except sign, and compares either hex case', () => {
    const body = {
      orderNo: '1',
      orderStatus: 'COMPLETED',
      failReason: '',
      hxAddress: null,
      customParam: { a: 1 },
      fee: 0,
      sign: 'X',
    };
    expect(callbackSignedFields(body)).toEqual({ orderNo: '1', orderStatus: 'COMPLETED', fee: '0' });
    expect(alchemySignText(callbackSignedFields(body)!, 's')).toBe(
      'fee=0&orderNo=1&orderStatus=COMPLETED&key=s',
    );
    const sign = alchemySign({ a: 'b' }, 's');
    expect(signMatches(sign, sign.toLowerCase())).toBe(true);
    expect(signMatches(sign, alchemySign({ a: 'c' }, 's'))).toBe(false);
  });
});

describe('Alchemy Pay wire rules', () => {
  it('formats orderAmount by the payCurrency rule and the unit setting', () => {
    expect(toOrderAmount('USD', '49.99', 'decimal')).toBe('49.99');
    expect(toOrderAmount('EUR', '50.00', 'decimal')).toBe('50');
    expect(toOrderAmount('HKD', '49.90', 'decimal')).toBe('49.9');
    expect(toOrderAmount('IDR', '150000', 'decimal')).toBe('150000');
    expect(toOrderAmount('USD', '49.99', 'cent')).toBe('4999');
    expect(toOrderAmount('THB', '1000', 'cent')).toBe('1000');
    const refused = (f: () => unknown, code: string): void => {
      try {
        f();
        throw new Error('not refused');
      } catch (err) {
        expect(err).toBeInstanceOf(ProviderError);
        expect((err as ProviderError).kind).toBe('rejected');
        expect((err as ProviderError).providerCode).toBe(code);
      }
    };
    refused(() => toOrderAmount('VND', '1000.5', 'decimal'), 'validation');
    refused(() => toOrderAmount('USD', '1.001', 'decimal'), 'validation');
    refused(() => toOrderAmount('CNY', '10', 'decimal'), 'unsupported_currency');
  });

  it('reads amounts back in the same unit', () => {
    expect(fromOrderAmount('USD', '49.99', 'decimal')).toBe('49.99');
    expect(fromOrderAmount('USD', '50', 'decimal')).toBe('50.00');
    expect(fromOrderAmount('USD', '4999', 'cent')).toBe('49.99');
    expect(fromOrderAmount('IDR', '150000', 'cent')).toBe('150000');
    expect(fromOrderAmount('USD', 'lots', 'decimal')).toBe('lots');
  });

  it('takes the unit from PAYMUX_ALCHEMY_AMOUNT_UNIT, decimal by default, refusing anything else', () => {
    expect(alchemyAmountUnit({})).toBe('decimal');
    expect(alchemyAmountUnit({ PAYMUX_ALCHEMY_AMOUNT_UNIT: 'cent' })).toBe('cent');
    expect(alchemyAmountUnit({ PAYMUX_ALCHEMY_AMOUNT_UNIT: 'Decimal' })).toBe('decimal');
    expect(() => alchemyAmountUnit({ PAYMUX_ALCHEMY_AMOUNT_UNIT: 'cents' })).toThrow(/decimal.+cent/);
  });

  it('derives a digits-only merchantOrderNo from the payment id, stable and distinct', () => {
    const id = '0f8fad5b-d9cb-469f-a165-70867728950e';
    const no = merchantOrderNoOf(id);
    expect(no).toMatch(/^[1-9]\d{0,38}$/);
    expect(BigInt(no).toString(16).padStart(32, '0')).toBe(id.replace(/-/g, ''));
    expect(merchantOrderNoOf(id)).toBe(no);
    expect(merchantOrderNoOf('ffffffff-ffff-4fff-bfff-ffffffffffff')).toHaveLength(39);
    expect(merchantOrderNoOf('0f8fad5b-d9cb-469f-a165-70867728950f')).not.toBe(no);
  });

  it('maps statuses: delayed success is a success; unknown stays pending', () => {
    expect(outcomeOf('COMPLETED')).toBe('succeeded');
    expect(outcomeOf('DELAY_SUCCESS')).toBe('succeeded');
    expect(outcomeOf('CLOSE')).toBe('expired');
    expect(outcomeOf('TIMEOUT')).toBe('expired');
    expect(outcomeOf('FAILED')).toBe('failed');
    expect(outcomeOf('DELAY_FAILED')).toBe('failed');
    expect(outcomeOf('PROCESSING')).toBe('pending');
    expect(outcomeOf(undefined)).toBe('pending');
  });

  it('maps response codes to ProviderError kinds with stable codes', () => {
    const cases: [string, ProviderError['kind'], string][] = [
      ['8000', 'rejected', 'validation'],
      ['8007', 'credentials', 'signature'],
      ['8011', 'rejected', 'duplicate_order'],
      ['8012', 'credentials', 'ip_not_allowed'],
      ['8013', 'rejected', 'unsupported_crypto'],
      ['9999', 'rejected', '9999'],
    ];
    for (const [code, kind, name] of cases) {
      const err = errorForCode(code, 'their message');
      expect([err.kind, err.providerCode]).toEqual([kind, name]);
      expect(err.message).toContain('their message');
      expect(err.message).toContain(code);
    }
  });

  it('names networks the Alchemy way and supports the documented token table', () => {
    expect(alchemyNetwork('TRON')).toBe('TRX');
    expect(alchemyNetwork('trc20')).toBe('TRX');
    expect(alchemyNetwork('ERC20')).toBe('ETH');
    expect(alchemyNetwork('TON')).toBe('TON');
    const p = new AlchemyProvider();
    const s = (currency: string, network?: string): boolean =>
      p.supports({ method: 'alchemy_checkout', currency, network });
    expect(s('USDT', 'TRON')).toBe(true);
    expect(s('USDT', 'SOL')).toBe(true);
    expect(s('USDC', 'BSC')).toBe(true);
    expect(s('USDC', 'BASE')).toBe(false);
    expect(s('ETH', 'BSC')).toBe(true);
    expect(s('ETH', 'TRON')).toBe(false);
    expect(s('BTC', 'BTC')).toBe(true);
    expect(s('TRX', 'TRON')).toBe(false);
    expect(s('USD')).toBe(true);
    expect(s('IDR')).toBe(true);
    expect(s('CNY')).toBe(false);
    expect(p.supports({ method: 'tokenpay_checkout', currency: 'USDT', network: 'TRON' })).toBe(false);
  });
});
