import type { RunningPaymux } from '../src/bootstrap';
import { startTestApp } from './helpers/app';
import { runJourney } from './helpers/journey';

describe('recharge journey on PostgreSQL over HTTP', () => {
  let app: RunningPaymux;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it('goes register -> order -> pay -> Finished -> credited -> usage', async () => {
    const { balance } = await runJourney(app.url);
    expect(balance).toBe(379.5);
  });
});
