// The banks registered at the SPC as entrances show them: the bank API's "whose key is this"
// (GET /v1/bank) and the operator's `spc bank list`. Reference data, written by the seed and the
// operator's bank commands; nothing here changes it.
import type { Knex } from 'knex';

export interface BankProfile {
  code: string;
  name: string;
  bic: string;
  cutoff_local: string;
}

/** One bank's name, BIC and cut-off; undefined for a code the SPC does not know. */
export async function findBankProfile(db: Knex, code: string): Promise<BankProfile | undefined> {
  return (await db('banks').where({ code }).first('code', 'name', 'bic', 'cutoff_local')) as BankProfile | undefined;
}

/** Whether the SPC knows a bank of this code. */
export async function bankExists(db: Knex, code: string): Promise<boolean> {
  return Boolean(await db('banks').where({ code }).first('code'));
}

export interface BankListing extends BankProfile {
  confirm_business_days: number;
  webhook_url: string | null;
  /** Keys not revoked (expired ones included). */
  active_keys: number;
}

/** Every bank by code, with its count of unrevoked API keys (the SPC has tens of banks). */
export async function listBanksWithKeys(db: Knex): Promise<BankListing[]> {
  return (await db('banks as b')
    .leftJoin('bank_api_keys as k', function activeKeys() {
      this.on('k.bank_code', 'b.code').andOnNull('k.revoked_at');
    })
    .groupBy('b.code', 'b.name', 'b.bic', 'b.cutoff_local', 'b.confirm_business_days', 'b.webhook_url')
    .orderBy('b.code')
    .select('b.code', 'b.name', 'b.bic', 'b.cutoff_local', 'b.confirm_business_days', 'b.webhook_url', db.raw('count(k.id)::int AS active_keys'))) as BankListing[];
}

/** Every bank's code and cut-off, by code. */
export async function listBankCutoffs(db: Knex): Promise<Array<Pick<BankProfile, 'code' | 'cutoff_local'>>> {
  return (await db('banks').orderBy('code').select('code', 'cutoff_local')) as Array<Pick<BankProfile, 'code' | 'cutoff_local'>>;
}
