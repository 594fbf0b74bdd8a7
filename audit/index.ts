// Auditors' tools: history export and archive, replay against current code, and the ledger audit.
export { buildVisibilityQuery, kindOfType, WORKFLOW_TYPES, WORKFLOW_KINDS, EXECUTION_STATUSES, InvalidFilterError } from './query';
export type { WorkflowFilter, WorkflowKind, ExecutionStatusName } from './query';
export { exportHistories, historyFileName, sha256Hex, MANIFEST_FILE, ExportError } from './export';
export type { Manifest, ManifestEntry, RunRef, ExportOptions } from './export';
export { replayHistories, historiesFromDir, historiesFromTemporal, historyType, bundleWorkflows, ReplaySourceError } from './replay';
export type { HistorySource, ReplayOutcome, ReplaySummary, ReplayVerdict, ReplayOptions } from './replay';
export { auditLedger, LEDGER_CHECKS, BREACHES_PER_CHECK_MAX } from './ledger';
export { STUCK_AFTER_HOURS_DEFAULT } from './ledger-counted-once';
export type { LedgerBreach, LedgerReport, LedgerScope, LedgerCheckName } from './ledger';
export { temporalChecks } from './workflow-records';
export { archiveBankDay, bankDayArchiveDir, ArchiveError } from './archive';
export type { ArchiveOptions, ArchiveResult } from './archive';
export { historyToJson, historyFromJson } from './history-json';
export { createArchiveActivities } from './archive-activity';
export { archiveDirFromEnv } from '../infra/config';
export type { ArchiveActivities, ArchiveBankDayInput, ArchiveBankDayOutput } from './archive-activity';
export { auditPeriod } from './period';
export type { PeriodAuditReport, PeriodBreach } from './period';
