import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import { DataSource, QueryFailedError } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import type { Queryable } from '../common/sql';

/** The node-postgres pool under TypeORM's PostgreSQL DataSource (for what TypeORM's query() cannot send). */
export function poolOf(db: DataSource): Pool {
  return (db.driver as PostgresDriver).master as Pool;
}

/** Whether PreparedStatements names its statements (false: plain queries through TypeORM). */
export const NAME_STATEMENTS = Symbol('NAME_STATEMENTS');

/**
 * Statements of the hot paths sent as named (prepared) statements: PostgreSQL parses and plans each text
 * once per connection instead of on every call (the confirmation's statement spent more time in parse and
 * plan than in execution). A statement's name is a hash of its text, so one text is one name on every
 * connection. At most MAX_NAMES distinct texts are named per process; any further text runs unnamed, so a
 * caller that builds many shapes cannot grow the server's per-connection statement cache without bound.
 *
 * Only for statements outside a transaction (each runs on whichever pooled connection is free) and whose
 * result is their rows (`SELECT`, `INSERT ... RETURNING`, a `WITH` statement): an EntityManager's
 * `query` answers an UPDATE with `[rows, count]`, this with the rows. Errors are TypeORM's
 * QueryFailedError, as from `DataSource.query`.
 *
 * Off (NAME_STATEMENTS false) on the embedded database, whose connections share one backend (a name
 * prepared by one connection would already exist for the next), and with DB_PREPARED_STATEMENTS=off (a
 * pooler in transaction mode hands a session's statements to other clients).
 */
@Injectable()
export class PreparedStatements implements Queryable {
  static readonly MAX_NAMES = 512;
  private readonly names = new Map<string, string>();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(NAME_STATEMENTS) private readonly enabled: boolean,
  ) {}

  async query<T = unknown>(text: string, values: unknown[] = []): Promise<T> {
    const name = this.nameOf(text);
    if (!name) return this.db.query<T>(text, values);
    try {
      const result = await poolOf(this.db).query({ name, text, values });
      return result.rows as T;
    } catch (err) {
      throw new QueryFailedError(text, values, err as Error);
    }
  }

  /** The name `text` runs under on every connection; undefined when it runs unnamed. */
  nameOf(text: string): string | undefined {
    if (!this.enabled) return undefined;
    const known = this.names.get(text);
    if (known !== undefined || this.names.size >= PreparedStatements.MAX_NAMES) return known;
    const name = `pmx_${createHash('sha256').update(text).digest('base64url').slice(0, 24)}`;
    this.names.set(text, name);
    return name;
  }
}
