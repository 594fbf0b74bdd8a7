// Ledger audit check on master data: bank and provider IBANs, BINs and BICs are valid.
import type { Knex } from 'knex';
import { rows } from './ledger-sql';
import type { LedgerBreach, LedgerScope } from './ledger-types';

export async function masterData(db: Knex, scope: LedgerScope): Promise<LedgerBreach[]> {
  // The constraints of migration 20261201000001 check new writes; rows from before it are checked here.
  const bankScope = scope.bank ? 'b.code = ?' : 'true';
  const found = await rows(
    db,
    `SELECT 'bank ' || b.code AS subject, b.code AS key,
            concat_ws('; ',
              CASE WHEN NOT spc_kz_iban_valid(b.settlement_iban) THEN 'settlement IBAN ' || b.settlement_iban || ' fails mod-97' END,
              CASE WHEN NOT spc_bin_valid(b.bin) THEN 'BIN ' || b.bin || ' has a wrong check digit' END) AS detail
       FROM banks b WHERE ${bankScope} AND (NOT spc_kz_iban_valid(b.settlement_iban) OR NOT spc_bin_valid(b.bin))
     UNION ALL
     SELECT 'provider ' || p.id, p.id,
            concat_ws('; ',
              CASE WHEN NOT spc_kz_iban_valid(p.iban) THEN 'IBAN ' || p.iban || ' fails mod-97' END,
              CASE WHEN NOT spc_bin_valid(p.bin) THEN 'BIN ' || p.bin || ' has a wrong check digit' END,
              CASE WHEN EXISTS (SELECT 1 FROM banks k WHERE k.iban_code = substr(p.iban, 5, 3))
                    AND NOT EXISTS (SELECT 1 FROM banks k WHERE k.iban_code = substr(p.iban, 5, 3) AND k.bic = p.bic)
                   THEN 'BIC ' || p.bic || ' is not the BIC of bank code ' || substr(p.iban, 5, 3) || ' of its IBAN' END) AS detail
       FROM providers p
      WHERE NOT spc_kz_iban_valid(p.iban) OR NOT spc_bin_valid(p.bin)
         OR (EXISTS (SELECT 1 FROM banks k WHERE k.iban_code = substr(p.iban, 5, 3))
             AND NOT EXISTS (SELECT 1 FROM banks k WHERE k.iban_code = substr(p.iban, 5, 3) AND k.bic = p.bic))
      ORDER BY 1`,
    scope.bank ? [scope.bank] : [],
  );
  return found.map((r) => ({ check: 'master_data', subject: String(r.subject), detail: String(r.detail), keys: { id: r.key } }));
}

