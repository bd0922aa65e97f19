import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DatabaseError, type PoolClient, type QueryResult } from 'pg';
import { escapeLiteral, prepareValue } from 'pg/lib/utils';
import { DataSource } from 'typeorm';
import type { Queryable } from '../common/sql';
import { poolOf, PreparedStatements } from './prepared-statements';

interface Waiting {
  text: string;
  /** The statement's name (PreparedStatements'). */
  name: string;
  values: unknown[];
  resolve: (rows: unknown) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for short autocommitted statements of one stream: while one statement of a stream is in
 * flight in this process, the next ones of the same stream wait in Node; when it ends, all that waited
 * (up to MAX_GROUP) go in ONE round trip, as one transaction: a simple-protocol query of
 * `EXECUTE name(literal, ...)` statements, one per caller, each its own named statement (planned once per
 * connection, like PreparedStatements' names). One round trip, one socket write and one commit flush
 * for the group. A statement alone (nothing waited) runs as it would without this. Two kinds of stream use it:
 *
 * - Statements that all update one hot row (an application's balance: every confirmation of the
 *   application credits it). Sent one by one, each holds the row's lock from its UPDATE until its own
 *   commit is flushed, and the next waits for it, then re-checks its rows (PostgreSQL's EvalPlanQual):
 *   the row's lock queue, not the CPU, sets the pace. Grouped: one lock wait for the group.
 * - Frequent statements that contend on nothing but cost a round trip and a commit each (the
 *   confirmation's read, which also writes the Sandbox's charge): their cost is the round trip, not the
 *   work in PostgreSQL.
 *
 * A group is all or nothing (PostgreSQL runs a multi-statement simple query as one transaction and
 * rolls it back whole when one statement fails). When the group fails for any reason, every statement
 * of it runs again on its own through PreparedStatements, and each caller gets its own statement's
 * result or error: exactly what it would have got without the group. So a statement written to fail
 * as a whole when what it read changed (ConfirmationFastPath) keeps that meaning.
 *
 * Only where PreparedStatements names statements (not on the embedded database, nor with
 * DB_PREPARED_STATEMENTS=off: a pooler in transaction mode would lose the session's PREPAREs).
 */
@Injectable()
export class StatementGroups {
  static readonly MAX_GROUP = 32;
  /** Per stream with a statement in flight, the statements waiting for it to end. */
  private readonly waiting = new Map<string, Waiting[]>();
  /** The statements PREPAREd on each pooled connection (by name; under groupName). */
  private readonly prepared = new WeakMap<PoolClient, Set<string>>();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly statements: PreparedStatements,
  ) {}

  /**
   * Where to run the statements of `stream` (a key: for a hot row, one naming the row; null: no stream,
   * run them as they come).
   */
  on(stream: string | null): Queryable {
    if (stream === null) return this.statements;
    return { query: <T>(text: string, values: unknown[] = []) => this.query<T>(stream, text, values) };
  }

  private query<T>(stream: string, text: string, values: unknown[]): Promise<T> {
    const name = this.statements.nameOf(text);
    if (name === undefined) return this.statements.query<T>(text, values);
    const queue = this.waiting.get(stream);
    if (queue)
      return new Promise<T>((resolve, reject) =>
        queue.push({ text, name, values, resolve: (rows) => resolve(rows as T), reject }),
      );
    this.waiting.set(stream, []);
    const alone = this.statements.query<T>(text, values);
    const next = (): Promise<void> => this.drain(stream);
    alone.then(next, next);
    return alone;
  }

  /** Send what waited for `stream`, a group at a time, until nothing waits. */
  private async drain(stream: string): Promise<void> {
    for (;;) {
      const queue = this.waiting.get(stream) ?? [];
      if (queue.length === 0) {
        this.waiting.delete(stream);
        return;
      }
      await this.send(queue.splice(0, StatementGroups.MAX_GROUP));
    }
  }

  private async send(group: Waiting[]): Promise<void> {
    const results = group.length > 1 ? await this.runTogether(group).catch(() => null) : null;
    if (results) {
      group.forEach((w, i) => w.resolve(results[i].rows));
      return;
    }
    await Promise.all(group.map((w) => this.statements.query(w.text, w.values).then(w.resolve, w.reject)));
  }

  /** The group as one multi-statement query: its results in order; throws when it was rolled back. */
  private async runTogether(group: Waiting[]): Promise<QueryResult[]> {
    const executes = group.map((w) => `EXECUTE ${groupName(w.name)}${argumentList(w.values)}`);
    const client = await poolOf(this.db).connect();
    let broken: Error | undefined;
    try {
      let known = this.prepared.get(client);
      if (!known) this.prepared.set(client, (known = new Set()));
      for (const w of group) {
        if (known.has(w.name)) continue;
        await client.query(`PREPARE ${groupName(w.name)} AS ${w.text}`);
        known.add(w.name);
      }
      const results = (await client.query(executes.join(';\n'))) as unknown as QueryResult | QueryResult[];
      return Array.isArray(results) ? results : [results];
    } catch (err) {
      // An error PostgreSQL answered leaves the session usable; any other (the connection lost) does not.
      if (!(err instanceof DatabaseError)) broken = err as Error;
      throw err;
    } finally {
      client.release(broken);
    }
  }
}

/**
 * The group's name for a statement: PreparedStatements' name with a prefix of its own (the extended
 * protocol's names are the same namespace, and node-postgres tracks only those it parsed itself).
 */
function groupName(name: string): string {
  return `"g${name}"`;
}

/** `(v1, v2, ...)` as SQL literals, in node-postgres's own text form of each value; '' when there are none. */
function argumentList(values: unknown[]): string {
  if (values.length === 0) return '';
  return `(${values
    .map((v) => {
      const text = prepareValue(v);
      if (text === null) return 'NULL';
      if (typeof text !== 'string') throw new Error('StatementGroups: binary parameters are not grouped');
      return escapeLiteral(text);
    })
    .join(', ')})`;
}
