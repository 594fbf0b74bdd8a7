// Guessing keys costs the database nothing past a per-address budget: each new random key used to
// be one query; now an address past its look-ups gets "no key" without a query.
import { ApiKeyAuthenticator } from '../../api/auth';
import type { Db } from '../../db/connection';

const randomKey = (i: number) => `spck_${String(i).padStart(43, 'x')}`;

describe('ApiKeyAuthenticator look-up budget', () => {
  it('asks the database at most the budget per address per minute for unknown keys, then again in the next window', async () => {
    let queries = 0;
    let nowMs = 1_000_000;
    const chain = { join: () => chain, where: () => chain, whereNull: () => chain, first: async () => undefined };
    const db = ((): typeof chain => {
      queries += 1;
      return chain;
    }) as unknown as Db;
    const auth = new ApiKeyAuthenticator(db, { lookupsPerSourcePerMinute: 3, now: () => nowMs });
    for (let i = 0; i < 20; i++) expect(await auth.authenticate(randomKey(i), '203.0.113.9')).toBeNull();
    expect(queries).toBe(3);
    expect(await auth.authenticate(randomKey(100), '198.51.100.1')).toBeNull();
    expect(queries).toBe(4);
    nowMs += 60_001;
    await auth.authenticate(randomKey(200), '203.0.113.9');
    expect(queries).toBe(5);
  });
});
