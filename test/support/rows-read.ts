// How many rows of a table the current transaction has read, by any scan: what the plan tests
// assert instead of timings, since it does not depend on how busy the machine is.
import type { Knex } from 'knex';

export async function rowsReadInTransaction(trx: Knex.Transaction, table: string): Promise<number> {
  const row = await trx('pg_stat_xact_user_tables').where({ relname: table }).first('seq_tup_read', 'idx_tup_fetch');
  return Number(row?.seq_tup_read ?? 0) + Number(row?.idx_tup_fetch ?? 0);
}
