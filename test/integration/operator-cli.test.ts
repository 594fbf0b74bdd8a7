// `spc operator …` as the real CLI against real Postgres (issue 16 item 6): the first admin needs no
// credential and gets a token; after that only an admin creates accounts; a token is printed once,
// stored hashed, and stops working when revoked or when its operator is disabled; 'spc' is reserved.
import { resolveOperatorToken } from '../../db/operators';
import { createTestDatabase, type TestDatabase } from '../support/env';
import { runSpc } from './audit-helpers';

jest.setTimeout(300_000);

let database: TestDatabase;
let env: Record<string, string | undefined>;

beforeAll(async () => {
  database = await createTestDatabase();
  env = { DATABASE_URL: database.url, SPC_OPERATOR: undefined };
});

afterAll(async () => {
  await database?.drop();
});

it('bootstraps the first admin, lets only admins create accounts and tokens, and revokes and disables', async () => {
  const first = await runSpc(['operator', 'create', 'Root', '--name', 'First admin', '--role', 'admin'], env);
  expect(first.code).toBe(0);
  const rootToken = first.stdout.trim();
  expect(rootToken).toMatch(/^spco_[A-Za-z0-9_-]{43}$/);
  expect(await resolveOperatorToken(database.appDb, rootToken)).toMatchObject({ id: 'root', role: 'admin' });
  const root = { ...env, SPC_OPERATOR_TOKEN: rootToken };

  // With an admin in place, creating needs an admin's credential.
  expect(await runSpc(['operator', 'create', 'mallory', '--name', 'M', '--role', 'admin'], env)).toMatchObject({ code: 1, stderr: expect.stringContaining('OPERATOR_UNAUTHENTICATED') });
  expect(await runSpc(['operator', 'create', 'spc', '--name', 'The SPC', '--role', 'supervisor'], root)).toMatchObject({ code: 1, stderr: expect.stringContaining('RESERVED_OPERATOR') });
  expect(await runSpc(['operator', 'create', 'aigerim', '--name', 'Aigerim', '--role', 'operator'], root)).toMatchObject({ code: 0 });
  const issued = await runSpc(['operator', 'token', 'create', 'aigerim', '--label', 'laptop'], root);
  expect(issued.code).toBe(0);
  const aigerimToken = issued.stdout.trim();
  const aigerim = { ...env, SPC_OPERATOR_TOKEN: aigerimToken };
  expect(await runSpc(['operator', 'create', 'bob', '--name', 'Bob', '--role', 'admin'], aigerim)).toMatchObject({ code: 1, stderr: expect.stringContaining('OPERATOR_ROLE_FORBIDDEN') });

  const listed = await runSpc(['operator', 'token', 'list', '--of', 'aigerim', '--json'], env);
  expect(listed.stdout).not.toContain(aigerimToken);
  expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ operatorId: 'aigerim', prefix: aigerimToken.slice(0, 13), label: 'laptop', revokedAt: null })]);
  expect(JSON.stringify(await database.db('operator_tokens').select())).not.toContain(aigerimToken);

  expect(await runSpc(['operator', 'token', 'revoke', aigerimToken.slice(0, 13)], root)).toMatchObject({ code: 0 });
  expect(await resolveOperatorToken(database.appDb, aigerimToken)).toBeNull();
  const again = (await runSpc(['operator', 'token', 'create', 'aigerim'], root)).stdout.trim();
  expect(await runSpc(['operator', 'disable', 'aigerim'], root)).toMatchObject({ code: 0, stdout: 'disabled operator aigerim; 1 token(s) revoked\n' });
  expect(await resolveOperatorToken(database.appDb, again)).toBeNull();
  const operators = JSON.parse((await runSpc(['operator', 'list', '--json'], env)).stdout);
  expect(operators.map((o: { id: string; role: string; disabledAt: string | null }) => [o.id, o.role, o.disabledAt !== null])).toEqual([['aigerim', 'operator', true], ['root', 'admin', false]]);

  const trail = await database.db('operator_audit').where('action', 'like', 'operator.%').orderBy('id').select('operator', 'action', 'outcome');
  expect(trail.map((r) => `${r.operator} ${r.action} ${r.outcome}`)).toEqual([
    'root operator.bootstrap ok',
    'root operator.token.create ok',
    '(unauthenticated) operator.create refused: OPERATOR_UNAUTHENTICATED',
    'root operator.create refused: RESERVED_OPERATOR',
    'root operator.create ok',
    'root operator.token.create ok',
    'aigerim operator.create refused: OPERATOR_ROLE_FORBIDDEN',
    'root operator.token.revoke ok',
    'root operator.token.create ok',
    'root operator.disable ok',
  ]);
});
