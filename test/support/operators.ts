// Authenticated operators for tests (issue 16 item 6): the account (created once per database) and
// a fresh personal token, as the environment a CLI child authenticates with.
import type { Knex } from 'knex';
import { createOperatorToken } from '../../db/operators';
import type { OperatorRole } from '../../domain/operator-roles';

/** Creates operator `id` with `role` unless it exists (the role is then set), and returns one of their tokens. */
export async function operatorToken(owner: Knex, id: string, role: OperatorRole = 'operator'): Promise<string> {
  await owner('operators').insert({ id, display_name: `${id} (test)`, role }).onConflict('id').merge({ role, disabled_at: null });
  return (await createOperatorToken(owner, id, { label: 'test' })).token;
}

/** The environment of a CLI child that authenticates as `id`. */
export async function asOperator(owner: Knex, id: string, role: OperatorRole = 'operator'): Promise<{ SPC_OPERATOR_TOKEN: string }> {
  return { SPC_OPERATOR_TOKEN: await operatorToken(owner, id, role) };
}
