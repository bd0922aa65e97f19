import fc from 'fast-check';
import type { EntityManager } from 'typeorm';
import { DomainError } from '../common/domain-error';
import type { Order } from './order.entity';
import {
  acceptsPayment,
  canRefund,
  canTransition,
  isClosedUnpaid,
  isOpenForPayment,
  ORDER_STATES,
  ORDER_TRANSITIONS,
  OrderState,
} from './order-state';
import { OrderTransition } from './order-transition.entity';
import { OrderTransitionsService } from './order-transitions.service';

/** Every state reachable from `from` through the transition table. */
function reachable(from: OrderState): Set<OrderState> {
  const seen = new Set<OrderState>();
  const queue = [...ORDER_TRANSITIONS[from]];
  while (queue.length) {
    const s = queue.shift() as OrderState;
    if (seen.has(s)) continue;
    seen.add(s);
    queue.push(...ORDER_TRANSITIONS[s]);
  }
  return seen;
}

/** A stand-in EntityManager that applies the guarded UPDATE to an in-memory row and records inserts. */
function fakeManager(row: { state: OrderState }): { m: EntityManager; inserts: unknown[] } {
  const inserts: unknown[] = [];
  const m = {
    query: (_sql: string, params: unknown[]) => {
      const [, , to, from] = params as [string, string, OrderState, OrderState];
      if (row.state !== from) return Promise.resolve([[], 0]);
      row.state = to;
      return Promise.resolve([[{ updated_at: new Date(), paid_at: null, finished_at: null }], 1]);
    },
    insert: (target: unknown, values: unknown) => {
      expect(target).toBe(OrderTransition);
      inserts.push(values);
      return Promise.resolve();
    },
  } as unknown as EntityManager;
  return { m, inserts };
}

const orderIn = (state: OrderState): Order => ({ id: 'o1', tenantId: 't1', state }) as Order;

describe('order transition table', () => {
  it('has no path from Finished (or any later state) back to Pending', () => {
    for (const s of [
      OrderState.Paid,
      OrderState.Finished,
      OrderState.Refunded,
      OrderState.PartiallyRefunded,
    ]) {
      expect(reachable(s).has(OrderState.Pending)).toBe(false);
    }
    expect(ORDER_STATES.every((s) => !ORDER_TRANSITIONS[s].includes(OrderState.Pending))).toBe(true);
  });

  it('lets a payment confirmed late still move Expired, Cancelled and Failed orders to Paid', () => {
    for (const s of [OrderState.Expired, OrderState.Cancelled, OrderState.Failed])
      expect(canTransition(s, OrderState.Paid)).toBe(true);
    expect(canTransition(OrderState.Pending, OrderState.Finished)).toBe(false);
    expect(canTransition(OrderState.Refunded, OrderState.Paid)).toBe(false);
  });

  it('says what each state allows (pay, accept a payment, closed unpaid, refund) as the table does', () => {
    const states = (p: (s: OrderState) => boolean): OrderState[] => ORDER_STATES.filter(p);
    expect(states(isOpenForPayment)).toEqual([OrderState.Pending]);
    expect(states(acceptsPayment)).toEqual([
      OrderState.Pending,
      OrderState.Expired,
      OrderState.Cancelled,
      OrderState.Failed,
    ]);
    expect(states(isClosedUnpaid)).toEqual([OrderState.Expired, OrderState.Cancelled, OrderState.Failed]);
    expect(states(canRefund)).toEqual([OrderState.Finished, OrderState.PartiallyRefunded]);
    for (const s of ORDER_STATES) {
      expect([s, acceptsPayment(s)]).toEqual([s, ORDER_TRANSITIONS[s].includes(OrderState.Paid)]);
      expect([s, canRefund(s)]).toEqual([s, ORDER_TRANSITIONS[s].includes(OrderState.Refunded)]);
    }
  });

  it('property: every random walk writes one history row per accepted move and rejects the rest untouched', async () => {
    const service = new OrderTransitionsService();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...ORDER_STATES), { maxLength: 25 }), async (targets) => {
        const row = { state: OrderState.Pending };
        const order = orderIn(OrderState.Pending);
        const { m, inserts } = fakeManager(row);
        let accepted = 0;
        let leftFinished = false;
        for (const to of targets) {
          const from = order.state;
          if (canTransition(from, to)) {
            await service.move(m, order, to, 'test');
            accepted++;
            expect(inserts[inserts.length - 1]).toMatchObject({
              orderId: 'o1',
              tenantId: 't1',
              fromState: from,
              toState: to,
            });
          } else {
            await expect(service.move(m, order, to, 'test')).rejects.toMatchObject({
              code: 'invalid_state_transition',
              status: 409,
            });
            expect(order.state).toBe(from);
          }
          if (from === OrderState.Finished || leftFinished) {
            leftFinished = true;
            expect(order.state).not.toBe(OrderState.Pending);
          }
          expect(row.state).toBe(order.state);
        }
        expect(inserts).toHaveLength(accepted);
      }),
      { numRuns: 300 },
    );
  });

  it('moveThrough checks every step against the table and writes one history row per step', async () => {
    const service = new OrderTransitionsService();
    const calls: unknown[][] = [];
    const m = {
      query: (_sql: string, params: unknown[]) => {
        calls.push(params);
        return Promise.resolve([
          { updated_at: new Date(), paid_at: new Date(), finished_at: new Date(), remaining_amount: '5' },
        ]);
      },
    } as unknown as EntityManager;
    const order = orderIn(OrderState.Expired);
    await service.moveThrough(m, order, [
      { to: OrderState.Paid, reason: 'paid late' },
      { to: OrderState.Finished, reason: 'credited' },
    ]);
    expect(order.state).toBe(OrderState.Finished);
    // [id, tenant, final state, expected current state, from states, to states, reasons]
    expect(calls).toEqual([
      [
        'o1',
        't1',
        'Finished',
        'Expired',
        ['Expired', 'Paid'],
        ['Paid', 'Finished'],
        ['paid late', 'credited'],
      ],
    ]);

    for (const [from, steps] of [
      [OrderState.Pending, [OrderState.Finished]],
      [OrderState.Finished, [OrderState.Paid]],
      [OrderState.Pending, [OrderState.Paid, OrderState.Pending]],
    ] as const) {
      const before = calls.length;
      await expect(
        service.moveThrough(
          m,
          orderIn(from),
          steps.map((to) => ({ to, reason: 'x' })),
        ),
      ).rejects.toMatchObject({ code: 'invalid_state_transition' });
      expect(calls).toHaveLength(before);
    }
  });

  it('refuses a move that a concurrent transaction already made (guarded UPDATE)', async () => {
    const service = new OrderTransitionsService();
    const row = { state: OrderState.Cancelled };
    const { m, inserts } = fakeManager(row);
    const stale = orderIn(OrderState.Pending);
    const err = await service.move(m, stale, OrderState.Expired, 'sweep').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe('concurrent_state_change');
    expect(inserts).toHaveLength(0);
  });
});
