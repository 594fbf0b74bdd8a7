// Almaty-like demo data: personal accounts with their meters and one month's invoice each,
// deterministic from a seed. The generation is pure (generateDemoAccounts); the loading streams
// rows into Postgres with COPY inside one transaction, so half a million accounts take minutes
// and a failure leaves nothing behind.
//
// Amounts are integer tiyn held in bigint from tariff to text: exact, and faster than decimal.js
// for millions of lines. Tariffs are rounded 2024-2025 Almaty household tariffs: plausible, not
// official.
//
// The parts live in their own files; this one keeps the demo seed importable as one module.
export * from './demo-period';
export { DEMO_TARIFFS_TIYN, type DemoLine } from './demo-charges';
export * from './demo-generate';
export * from './demo-load';
