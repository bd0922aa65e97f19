import { passwordProblem } from './password-policy';

describe('password policy', () => {
  it('accepts the passwords the tests, the demo and real users use', () => {
    for (const p of [
      'correct horse battery',
      'admin-password-1',
      'member password 1',
      'paymux-demo',
      'journey-password-1',
      'long enough password',
      'Tr0ub4dor&3',
    ])
      expect(passwordProblem(p, 'someone@example.test')).toBeNull();
  });

  it('refuses short, digit-only, one-character, common and email passwords', () => {
    expect(passwordProblem('abc1234')).toMatch(/at least 8/);
    expect(passwordProblem('12345678')).toMatch(/digits only/);
    expect(passwordProblem('99999999999999')).toMatch(/digits only/);
    expect(passwordProblem('aaaaaaaaaa')).toMatch(/repeated/);
    expect(passwordProblem('PASSWORD123')).toMatch(/common/);
    expect(passwordProblem('qwertyuiop')).toMatch(/common/);
    expect(passwordProblem('Alice@Example.test', 'alice@example.test')).toMatch(/email/);
    expect(passwordProblem('alice.smith', 'alice.smith@example.test')).toMatch(/email/);
  });
});
