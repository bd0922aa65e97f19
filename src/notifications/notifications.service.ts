import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AuditActor, recordAudit } from '../audit/audit-log';
import type { ApiKey } from '../auth/api-key.entity';
import { ApiKeysService } from '../auth/api-keys.service';
import { merchantSignature } from '../auth/merchant-signature';
import { TenantUrlClient, TenantUrlRefused } from '../common/tenant-url-client';
import { AppConfig } from '../config/app-config';
import type { InsertBatch } from '../common/sql';
import { toMerchantOrder } from '../orders/merchant-order.response';
import { toOrderResponse } from '../orders/order.response';
import type { Order } from '../orders/order.entity';
import { OrderState } from '../orders/order-state';
import type { OrderStateListener } from '../orders/order-state-listener';
import { JobQueue } from './job-queue.service';
import { Notification } from './notification.entity';
import { NotificationAttempt } from './notification-attempt.entity';
import { AttemptResult, NotificationDeliveryStore } from './notification-delivery.store';
import { isAcknowledged, RETRY_SCHEDULE_SECONDS } from './notify-schedule';
import { NotificationErrors } from './notifications.errors';

export const NOTIFY_QUEUE = 'merchant-notification';

/**
 * Ids for the delivery jobs of one change's notifications, ascending: pg-boss fetches the jobs of one
 * transaction by id, so a batch that takes only some of them takes the earlier ones, and a later
 * notification is never fetched before an earlier one of the same change (it would have to wait).
 */
const jobIdsInOrder = (count: number): string[] => Array.from({ length: count }, () => randomUUID()).sort();

/**
 * A delivery job's data: the notification, its order (the jobs of one order run in sequence, see
 * onModuleInit) and, for one written with an order's change, its place among that change's (`n`).
 */
const jobData = (n: { id: string; orderId: string }, position?: number): Record<string, unknown> => ({
  notificationId: n.id,
  orderId: n.orderId,
  ...(position === undefined ? {} : { n: position }),
});

/** How long a notification waits behind an earlier undelivered one of the same order before looking again. */
const ORDER_WAIT_SECONDS = 2;

/**
 * Merchant notifications: every state change of an order with a notify_url writes a notification
 * and its delivery job in the change's own transaction. Delivery POSTs the order signed like a
 * merchant request (X-API-Key, X-Timestamp, X-Nonce, X-Signature over the receiver's path), records
 * every attempt, ends on a 2xx `success`, retries on RETRY_SCHEDULE_SECONDS (scaled by
 * NOTIFY_RETRY_SCALE for tests), and keeps one order's notifications in order.
 */
@Injectable()
export class NotificationsService implements OrderStateListener, OnModuleInit {
  private readonly logger = new Logger(NotificationsService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: AppConfig,
    private readonly queue: JobQueue,
    private readonly keys: ApiKeysService,
    private readonly urls: TenantUrlClient,
    private readonly deliveries: NotificationDeliveryStore,
  ) {}

  onModuleInit(): void {
    // Every process queues notifications (in its state changes), worker or not.
    this.queue.declare(NOTIFY_QUEUE);
    if (this.config.notifyWorker)
      this.queue.handle(NOTIFY_QUEUE, (data) => this.deliver(String(data.notificationId)), {
        // One order's jobs fetched together run one after another (so one notification is never
        // posted twice at once), a retry or resend first, then new ones in the order written; other
        // orders' concurrently. Whatever the batch, deliver keeps the order by waiting behind an
        // earlier pending notification. (A job queued before orderId was added runs alone.)
        inSequence: (data) =>
          typeof data.orderId === 'string'
            ? { key: data.orderId, position: Number(data.n ?? -1) }
            : undefined,
      });
  }

  /**
   * A merchant-API order is notified at its own notify_url; a platform order at its tenant's
   * webhook_url, when the tenant has set one (looked up in the same statement that writes the rows,
   * so a tenant without one costs a single empty INSERT ... SELECT).
   */
  async onTransitions(m: EntityManager, order: Order, targets: readonly OrderState[]): Promise<void> {
    const { ids, bodies } = this.notificationsOf(order, targets);
    const written = await m.query<{ id: string }[]>(
      `INSERT INTO notifications (id, tenant_id, order_id, event, url, body)
       SELECT s.id, t.id, $2, s.event, COALESCE($3, t.webhook_url), s.body
         FROM tenants t, unnest($4::uuid[], $5::text[], $6::text[]) WITH ORDINALITY AS s(id, event, body, n)
        WHERE t.id = $1 AND COALESCE($3, t.webhook_url) IS NOT NULL
        ORDER BY s.n
       RETURNING id`,
      [order.tenantId, order.id, order.notifyUrl, ids, [...targets], bodies],
    );
    // In the order written: seq follows insertion, and delivery keeps one order's notifications in seq order.
    const sent = new Set(written.map((r) => r.id));
    const jobIds = jobIdsInOrder(ids.length);
    for (const [n, id] of ids.entries())
      if (sent.has(id))
        await this.queue.send(NOTIFY_QUEUE, jobData({ id, orderId: order.id }, n), { m, id: jobIds[n] });
  }

  /**
   * onTransitions as parts of one caller's statement (the confirmation's fast path, see
   * ConfirmationFastPath), for an order whose notification URL the caller read (`url`: its
   * notify_url, else its tenant's webhook_url; null: nothing is written). The notifications (CTE
   * `name`) read FROM `gate`; their delivery jobs (CTE `${name}_jobs`) are pg-boss's own INSERT
   * (JobQueue.addInsert), which does not: so the caller must make the statement fail unless each CTE
   * of `ctes` returned `expected` rows.
   */
  async addTransitionWrites(
    batch: InsertBatch,
    name: string,
    gate: string,
    order: Order,
    targets: readonly OrderState[],
    url: string | null,
  ): Promise<{ expected: number; ctes: string[] }> {
    if (url === null) return { expected: 0, ctes: [] };
    const { ids, bodies } = this.notificationsOf(order, targets);
    batch.add(
      name,
      `INSERT INTO notifications (id, tenant_id, order_id, event, url, body)
       SELECT s.id, ${batch.param(order.tenantId)}, ${batch.param(order.id)}, s.event, ${batch.param(url)}, s.body
         FROM (SELECT 1 FROM ${gate} LIMIT 1) g,
              unnest(${batch.param(ids)}::uuid[], ${batch.param([...targets])}::text[], ${batch.param(bodies)}::text[])
              WITH ORDINALITY AS s(id, event, body, n)
        ORDER BY s.n
       RETURNING id`,
    );
    const jobIds = jobIdsInOrder(ids.length);
    await this.queue.addInsert(
      batch,
      `${name}_jobs`,
      NOTIFY_QUEUE,
      ids.map((id, i) => ({ id: jobIds[i], data: jobData({ id, orderId: order.id }, i) })),
    );
    return { expected: ids.length, ctes: [name, `${name}_jobs`] };
  }

  /** The notifications of an order's moves through `targets`: their ids and bodies, in order. */
  private notificationsOf(order: Order, targets: readonly OrderState[]): { ids: string[]; bodies: string[] } {
    const ids = targets.map(() => randomUUID());
    const bodies = targets.map((to, i) =>
      JSON.stringify(
        order.notifyUrl
          ? {
              notification_id: ids[i],
              event: `order.${to.toLowerCase()}`,
              ...toMerchantOrder(order, to),
              product_name: order.productName,
              meta: order.meta,
            }
          : {
              notification_id: ids[i],
              event: `order.${to.toLowerCase()}`,
              // The order as of this state: a Paid notification of a confirmation that also
              // finished the order does not show it finished yet.
              order: toOrderResponse(
                to === OrderState.Paid ? { ...order, state: to, finishedAt: null } : { ...order, state: to },
              ),
            },
      ),
    );
    return { ids, bodies };
  }

  /** One delivery attempt; schedules the next one when it fails. */
  async deliver(id: string): Promise<void> {
    const read = await this.deliveries.read(id);
    if (!read || read.notification.status !== 'pending') return;
    const n = read.notification;
    if (read.earlier) {
      await this.queue.send(NOTIFY_QUEUE, jobData(n), { startAfterSeconds: ORDER_WAIT_SECONDS });
      return;
    }
    const attempt = await this.post(n, read.key);
    const number = n.attempts + 1;
    const retryIn = RETRY_SCHEDULE_SECONDS[number - 1];
    const status = attempt.success ? 'delivered' : retryIn === undefined ? 'failed' : 'pending';
    const delay = retryIn === undefined ? 0 : retryIn * this.config.notifyRetryScale;
    if (!attempt.success) {
      const why =
        attempt.error ??
        `answered ${attempt.statusCode ?? '?'}: ${JSON.stringify(attempt.bodyExcerpt?.slice(0, 200) ?? '')}`;
      this.logger.warn(
        `notification ${n.id} (order ${n.orderId}) attempt ${number} to ${new URL(n.url).host} failed: ${why}; ` +
          (status === 'failed' ? 'given up' : `next attempt in ${Math.round(delay)} s`),
      );
    }
    const record = { notification: n, number, status, delaySeconds: delay, attempt } as const;
    if (status !== 'pending') return this.deliveries.recordFinal(record);
    // A retry: its next job in the same transaction as the attempt.
    await this.db.transaction(async (m) => {
      await this.deliveries.record(m, record);
      await this.queue.send(NOTIFY_QUEUE, jobData(n), { m, startAfterSeconds: delay });
    });
  }

  /** One delivery attempt to the notification's URL, signed with `key` (the tenant's newest usable key). */
  private async post(n: Notification, key: ApiKey | null): Promise<AttemptResult> {
    const attemptedAt = new Date();
    const started = performance.now();
    const done = (r: {
      statusCode?: number;
      body?: string;
      error?: string;
      success?: boolean;
    }): AttemptResult => ({
      attemptedAt,
      statusCode: r.statusCode ?? null,
      latencyMs: Math.round(performance.now() - started),
      bodyExcerpt: r.body === undefined ? null : r.body.slice(0, 512),
      error: r.error ?? null,
      success: r.success ?? false,
    });
    const refusal = await this.urls.refusal(n.url, this.config.notifyAllowPrivate);
    if (refusal) return done({ error: `refused: ${refusal}` });
    if (!key) return done({ error: 'the tenant has no active API key to sign with' });
    const url = new URL(n.url);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomBytes(16).toString('hex');
    const signature = merchantSignature(this.keys.secretOf(key), {
      timestamp,
      nonce,
      method: 'POST',
      pathWithQuery: `${url.pathname}${url.search}`,
      body: n.body,
    });
    try {
      const res = await this.urls.request(n.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'paymux-notifications/1',
          'x-api-key': key.keyId,
          'x-timestamp': timestamp,
          'x-nonce': nonce,
          'x-signature': signature,
          'x-notification-id': n.id,
        },
        body: n.body,
        timeoutMs: this.config.notifyTimeoutMs,
        allowPrivate: this.config.notifyAllowPrivate,
      });
      return done({ statusCode: res.status, body: res.text, success: isAcknowledged(res.status, res.text) });
    } catch (err) {
      // Refused at connect: the name answered a private address to the connection's own lookup.
      if (err instanceof TenantUrlRefused) return done({ error: `refused: ${err.message}` });
      const e = err as { name?: string; cause?: { message?: string }; message?: string };
      return done({
        error:
          e.name === 'TimeoutError'
            ? `no answer within ${this.config.notifyTimeoutMs} ms`
            : (e.cause?.message ?? e.message ?? 'failed'),
      });
    }
  }

  async list(
    tenantId: string,
    orderId: string,
  ): Promise<(Notification & { attemptsLog: NotificationAttempt[] })[]> {
    const rows = await this.db
      .getRepository(Notification)
      .find({ where: { tenantId, orderId }, order: { seq: 'ASC' } });
    const attempts = rows.length
      ? await this.db
          .getRepository(NotificationAttempt)
          .createQueryBuilder('a')
          .where('a.notification_id IN (:...ids)', { ids: rows.map((r) => r.id) })
          .orderBy('a.attempted_at', 'ASC')
          .getMany()
      : [];
    return rows.map((r) =>
      Object.assign(r, { attemptsLog: attempts.filter((a) => a.notificationId === r.id) }),
    );
  }

  /**
   * Send a notification again now (a delivered one too: the merchant asked for it), audited
   * (`notification.resend`) in the same transaction. `scope.tenantId`: a merchant's staff see only
   * their tenant's notifications; unset, a platform operator reaches any tenant's.
   */
  async resend(actor: AuditActor, scope: { tenantId?: string }, id: string): Promise<Notification> {
    const n = await this.db
      .getRepository(Notification)
      .findOne({ where: scope.tenantId ? { tenantId: scope.tenantId, id } : { id } });
    if (!n) throw NotificationErrors.notification_not_found('notification not found');
    await this.db.transaction(async (m) => {
      await m.query(`UPDATE notifications SET status = 'pending', next_attempt_at = now() WHERE id = $1`, [
        id,
      ]);
      await this.queue.send(NOTIFY_QUEUE, jobData(n), { m });
      await recordAudit(m, actor, {
        tenantId: n.tenantId,
        action: 'notification.resend',
        target: `notification:${id}`,
        before: { status: n.status, attempts: n.attempts },
        after: { status: 'pending' },
        data: { order_id: n.orderId, event: n.event },
      });
    });
    return (await this.db.getRepository(Notification).findOne({ where: { id } })) as Notification;
  }
}
