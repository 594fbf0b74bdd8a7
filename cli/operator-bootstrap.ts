// The first operator of a fresh installation started by `spc up` (issue 16 item 6): without any
// enabled admin, it creates the admin `ops` and writes its token to <data dir>/operator-token (mode
// 0600), where the CLI of the same checkout finds it (infra/operator-credential.ts). An installation
// that has an admin already is left alone: its admins issue tokens (`spc operator token create`).
import fs from 'node:fs';
import type { Db } from '../db/connection';
import { recordOperatorAction } from '../db/operator-audit';
import { createOperatorToken, ensureEnabledAdmin, hasEnabledAdmin } from '../db/operators';

export const BOOTSTRAP_OPERATOR = 'ops';

/** Returns a line for the welcome text: where the bootstrap token is, or nothing when there is no bootstrap. */
export async function bootstrapOperator(db: Db, tokenFile: string, writeFile: (file: string, token: string) => void): Promise<string | undefined> {
  if (await hasEnabledAdmin(db)) return fs.existsSync(tokenFile) ? `operator token of ${BOOTSTRAP_OPERATOR} in ${tokenFile}` : undefined;
  await ensureEnabledAdmin(db, BOOTSTRAP_OPERATOR, 'SPC operations (created by spc up)');
  const token = await createOperatorToken(db, BOOTSTRAP_OPERATOR, { label: 'spc up bootstrap' });
  writeFile(tokenFile, token.token);
  await recordOperatorAction(db, { operator: BOOTSTRAP_OPERATOR, action: 'operator.bootstrap', args: { id: BOOTSTRAP_OPERATOR, tokenId: token.id, file: tokenFile } });
  return `operator ${BOOTSTRAP_OPERATOR} (admin) created; its token is in ${tokenFile}`;
}
