// A provider as its own API shows it (GET /v1/provider/me): its name and the services it provides.
import type { Knex } from 'knex';

/** A provider has a few services; the cap keeps the answer bounded all the same. */
export const PROVIDER_SERVICES_MAX = 100;

export interface ProviderService {
  code: string;
  nameRu: string;
  nameKk: string;
  nameEn: string;
  metered: boolean;
  unit: string | null;
}

export interface ProviderProfile {
  id: string;
  name: string;
  services: ProviderService[];
}

export async function findProviderProfile(db: Knex, providerId: string): Promise<ProviderProfile | null> {
  const provider = await db('providers').where({ id: providerId }).first('id', 'name');
  if (!provider) return null;
  const services = await db('services')
    .where({ provider_id: providerId })
    .orderBy([{ column: 'sort_order' }, { column: 'code' }])
    .limit(PROVIDER_SERVICES_MAX)
    .select('code', 'name_ru', 'name_kk', 'name_en', 'metered', 'unit');
  return {
    id: provider.id,
    name: provider.name,
    services: services.map((s) => ({ code: s.code, nameRu: s.name_ru, nameKk: s.name_kk, nameEn: s.name_en, metered: s.metered, unit: s.unit })),
  };
}
