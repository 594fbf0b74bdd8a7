// `spc cabinet code rotate|demo` run as the real CLI against real Postgres: the code is printed
// once and only its hash is stored; a rotation ends the old code's sessions; demo codes go to a
// file only its owner may read; every rotation is audited without the code; a bad account exits 1.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { accessCodeMatches } from '../../domain/access-code';
import { seedDemo } from '../../db/seed';
import { seedReferenceData } from '../../db/seed/reference';
import { createTestDatabase, type TestDatabase } from '../support/env';
import { runSpc } from './audit-helpers';
import { asOperator } from '../support/operators';

jest.setTimeout(300_000);

let database: TestDatabase;
let env: Record<string, string | undefined>;

beforeAll(async () => {
  database = await createTestDatabase();
  await seedReferenceData(database.db);
  await seedDemo(database.db, { accounts: 3 });
  env = { DATABASE_URL: database.url, SPC_OPERATOR: undefined, ...(await asOperator(database.db, 'aigerim')) };
});

afterAll(async () => {
  await database?.drop();
});

const storedHash = async (account: string) => (await database.db('cabinet_access_codes').where({ account_number: account }).first('code_hash'))?.code_hash as string;

it('rotates a code: printed once, stored hashed, the old code and its sessions stop, audited without the code', async () => {
  const first = await runSpc(['cabinet', 'code', 'rotate', '--account', '1000000001', '--operator', 'aigerim'], env);
  expect(first.code).toBe(0);
  const code = first.stdout.trim();
  expect(code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
  expect(await accessCodeMatches(code, await storedHash('1000000001'))).toBe(true);
  await database.db('cabinet_sessions').insert({ token_sha256: 'a'.repeat(64), csrf_sha256: 'b'.repeat(64), account_number: '1000000001', expires_at: new Date(Date.now() + 60_000) });

  const second = await runSpc(['cabinet', 'code', 'rotate', '--account', '1000000001', '--operator', 'aigerim'], env);
  expect(second.code).toBe(0);
  expect(await accessCodeMatches(code, await storedHash('1000000001'))).toBe(false);
  expect(await accessCodeMatches(second.stdout.trim(), await storedHash('1000000001'))).toBe(true);
  expect((await database.db('cabinet_sessions').where({ token_sha256: 'a'.repeat(64) }).first()).ended_at).not.toBeNull();

  const audit = await database.db('operator_audit').where({ action: 'cabinet.code.rotate' }).select('args', 'outcome');
  expect(audit).toHaveLength(2);
  expect(JSON.stringify(audit)).not.toContain(code);
});

it('refuses an unknown account and a missing operator with exit 1', async () => {
  const unknown = await runSpc(['cabinet', 'code', 'rotate', '--account', '9999999999', '--operator', 'aigerim'], env);
  expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringContaining('not in the SPC database')]);
  const noOperator = await runSpc(['cabinet', 'code', 'rotate', '--account', '1000000002'], { ...env, SPC_OPERATOR_TOKEN: undefined });
  expect(noOperator.code).not.toBe(0);
  expect(await storedHash('1000000002')).toBeUndefined();
});

it('writes the demo accounts\' codes to a 0600 file', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spc-cabinet-'));
  const file = path.join(dir, 'codes.txt');
  const res = await runSpc(['cabinet', 'code', 'demo', '--file', file, '--operator', 'aigerim'], env);
  expect(res.code).toBe(0);
  expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => /^\d/.test(l));
  expect(lines).toHaveLength(3);
  for (const line of lines) {
    const [account, code] = line.split(' ') as [string, string];
    expect(await accessCodeMatches(code, await storedHash(account))).toBe(true);
  }
  fs.rmSync(dir, { recursive: true, force: true });
});
