// The connection factory lives in infra/temporal-connection.ts (one factory for client, worker and
// infra); this re-export keeps the client's public surface where callers expect it.
export { connectTemporal, TEMPORAL_CONNECT_TIMEOUT_MS, type TemporalTarget } from '../infra/temporal-connection';
