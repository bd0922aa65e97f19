// The boundary lint must bite: each import below goes against the dependency direction
// (eslint.boundaries.mjs) and must be reported; a correct import must not be. Run by .ci/run after lint.
import { ESLint } from 'eslint';

const cases = [
  { file: 'src/orders/x.ts', code: "import { OrderCreationService } from '../payments/order-creation/order-creation.service';", bad: true },
  { file: 'src/payments/providers/stripe/x.ts', code: "import { OrdersService } from '../../../orders/orders.service';", bad: true },
  { file: 'src/common/x.ts', code: "import { FxService } from '../fx/fx.service';", bad: true },
  { file: 'src/payments/contract/x.ts', code: "import { PayUrls } from '../attempts/pay-urls';", bad: true },
  { file: 'src/payments/order-creation/x.ts', code: "import { OrdersService } from '../../orders/orders.service';", bad: false },
  { file: 'src/admin/x.ts', code: "import { runCli } from '../cli/paymux';", bad: true },
  { file: 'src/cli/x.ts', code: "import { AdminOrdersService } from '../admin/admin-orders.service';", bad: false },
];
const eslint = new ESLint({ overrideConfigFile: 'eslint.boundaries.mjs' });
let failed = 0;
for (const c of cases) {
  const [result] = await eslint.lintText(`${c.code}\nexport const used = 1;\n`, { filePath: c.file });
  const hits = result.messages.filter((m) => m.ruleId === 'boundaries/dependencies');
  const ok = c.bad ? hits.length > 0 : hits.length === 0;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${c.file}: ${c.bad ? 'refused' : 'allowed'} ${hits[0]?.message ?? ''}`);
  if (!ok) failed++;
}
if (failed) {
  console.error(`boundaries self-test: ${failed} case(s) wrong`);
  process.exit(1);
}
