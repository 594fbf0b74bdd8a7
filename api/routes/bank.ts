// GET /v1/bank: who the API key belongs to. The cashier page calls it to check a typed key.
import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../deps';
import { bankOf } from '../auth';
import { commonErrors } from '../schemas';
import { findBankProfile } from '../../db/queries/banks';

export const bankRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.get(
    '/bank',
    {
      config: { scope: 'any' },
      schema: {
        tags: ['bank'],
        summary: 'The bank the API key belongs to',
        security: [{ bearerAuth: [] }],
        response: {
          200: {
            type: 'object',
            properties: { code: { type: 'string', example: 'HSBK' }, name: { type: 'string' }, bic: { type: 'string' }, cutoffLocal: { type: 'string', example: '18:00' } },
          },
          ...commonErrors,
        },
      },
    },
    async (request) => {
      const bank = bankOf(request);
      const row = await findBankProfile(deps.db, bank.code);
      // The key was found by a join on its bank, so the bank is there.
      if (!row) throw new Error(`invariant: bank ${bank.code} of an authenticated key is not registered`);
      return { code: row.code, name: row.name, bic: row.bic, cutoffLocal: row.cutoff_local };
    },
  );
};
