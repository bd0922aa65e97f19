import type { DataSource } from 'typeorm';
import { apiKeyAad } from '../auth/api-keys.service';
import { keyIdOf, SecretBox } from '../common/secret-box';
import { providerAccountAad } from './provider-accounts.service';

/**
 * A column that holds a value sealed under the master key (SecretBox), with the column naming the key
 * that sealed it. **Every sealed column is listed in SEALED_COLUMNS**: a value sealed elsewhere and not
 * listed here stays under the old key after `keys:rotate`, and breaks once that key is dropped.
 */
export interface SealedColumn {
  /** How the CLI reports it, e.g. "provider accounts". */
  label: string;
  table: string;
  /** The primary key column (batches walk it in order). */
  id: string;
  /** The column naming the master key that sealed the value (`keyIdOf(key)`). */
  keyId: string;
  /** The sealed value (`iv.tag.ciphertext`). */
  sealed: string;
  /** The columns `aad` reads. */
  aadColumns: readonly string[];
  /** The additional authenticated data the value was sealed with, from its row. */
  aad(row: Record<string, string>): string;
}

export const SEALED_COLUMNS: readonly SealedColumn[] = [
  {
    label: 'provider accounts',
    table: 'provider_accounts',
    id: 'id',
    keyId: 'key_id',
    sealed: 'credentials_sealed',
    aadColumns: ['tenant_id', 'provider'],
    aad: (r) => providerAccountAad(r.tenant_id, r.provider),
  },
  {
    label: 'merchant API key secrets (they also sign notifications)',
    table: 'api_keys',
    id: 'id',
    keyId: 'master_key_id',
    sealed: 'secret_sealed',
    aadColumns: ['tenant_id', 'key_id'],
    aad: (r) => apiKeyAad(r.tenant_id, r.key_id),
  },
];

export interface RotationResult {
  label: string;
  /** Re-sealed under the current key by this run. */
  resealed: number;
  /** Sealed under a key that is not configured (neither current nor previous): left as they are. */
  unreadable: number;
  /** Sealed under a configured key but failing to open (tampered or wrong context): left as they are. */
  failed: number;
}

/**
 * Re-seal every value of one sealed column that is not under the current master key, in batches of
 * `batchSize` rows read by id; each row is re-sealed by one UPDATE of its own (its own short
 * transaction), guarded by the old key id and ciphertext, so a concurrent write is never overwritten.
 * Only rows whose key id is not the current one are read, so a run that stopped half-way resumes
 * where it was by running it again, and a run with nothing left to do changes nothing.
 */
export async function rotateSealedColumn(
  db: DataSource,
  box: SecretBox,
  previousKeys: readonly Buffer[],
  column: SealedColumn,
  batchSize = 100,
): Promise<RotationResult> {
  const openable = [...new Set(previousKeys.map(keyIdOf))].filter((id) => id !== box.currentKeyId);
  const q = (name: string): string => `"${name}"`;
  const result: RotationResult = { label: column.label, resealed: 0, unreadable: 0, failed: 0 };
  let after: string | null = null;
  for (;;) {
    const rows: Record<string, string>[] = await db.query(
      `SELECT ${[column.id, column.keyId, column.sealed, ...column.aadColumns].map(q).join(', ')}
         FROM ${q(column.table)}
        WHERE ${q(column.keyId)} = ANY($1::text[]) AND ($2::text IS NULL OR ${q(column.id)}::text > $2)
        ORDER BY ${q(column.id)}::text LIMIT $3`,
      [openable, after, batchSize],
    );
    if (rows.length === 0) break;
    for (const row of rows) {
      const context = column.aad(row);
      let plaintext: string;
      try {
        plaintext = box.open({ keyId: row[column.keyId], ciphertext: row[column.sealed] }, context);
      } catch {
        result.failed++;
        continue;
      }
      const sealed = box.seal(plaintext, context);
      const updated: [unknown[], number] = await db.query(
        `UPDATE ${q(column.table)} SET ${q(column.keyId)} = $2, ${q(column.sealed)} = $3
          WHERE ${q(column.id)} = $1 AND ${q(column.keyId)} = $4 AND ${q(column.sealed)} = $5`,
        [row[column.id], sealed.keyId, sealed.ciphertext, row[column.keyId], row[column.sealed]],
      );
      if (updated[1] === 1) result.resealed++;
    }
    after = String(rows[rows.length - 1][column.id]);
  }
  const [{ n }] = await db.query<{ n: number }[]>(
    `SELECT count(*)::int AS n FROM ${q(column.table)}
      WHERE ${q(column.keyId)} <> $1 AND NOT (${q(column.keyId)} = ANY($2::text[]))`,
    [box.currentKeyId, openable],
  );
  result.unreadable = n;
  return result;
}

/** Re-seal every sealed column (SEALED_COLUMNS) under the current master key. */
export async function rotateMasterKey(
  db: DataSource,
  currentKey: Buffer,
  previousKeys: readonly Buffer[],
  batchSize = 100,
): Promise<RotationResult[]> {
  const box = new SecretBox(currentKey, previousKeys);
  const results: RotationResult[] = [];
  for (const column of SEALED_COLUMNS)
    results.push(await rotateSealedColumn(db, box, previousKeys, column, batchSize));
  return results;
}
