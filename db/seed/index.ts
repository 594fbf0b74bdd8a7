// Public surface of the seeding module: reference data (banks, providers, services, calendar) and
// the deterministic Almaty-like demo data.
export { seedReferenceData, kazakhCalendar, BANKS, PROVIDERS, SERVICES, KURBAN_AIT, UTILITY_KNP, CONFIRM_BUSINESS_DAYS } from './reference';
export type { BankSeed, ProviderSeed, ServiceSeed, CalendarDaySeed } from './reference';
export {
  seedDemo,
  generateDemoAccounts,
  currentPeriod,
  parsePeriod,
  dueDateFor,
  amountDueTiyn,
  formatTiyn,
  DemoAlreadySeededError,
  SAMPLE_ACCOUNTS,
  DEMO_ACCOUNTS_MAX,
  DEMO_DEFAULT_SEED,
  DEMO_TARIFFS_TIYN,
} from './demo';
export type { DemoAccount, DemoLine, DemoSeedOptions, DemoSeedResult } from './demo';
export { createRng, deriveSeed, mulberry32, SEED_MAX } from './random';
export type { Rng } from './random';
