// History <-> proto3 JSON (the format of `temporal workflow show --output json`), the same
// conversion as historyToJSON/historyFromJSON in @temporalio/common/lib/proto-utils, done with
// the protobufjs copy that @temporalio/proto itself uses.
//
// Why not the SDK's functions: npm may install protobufjs twice (one copy under
// @temporalio/common, one under @temporalio/proto; it does in this repository), and then the
// SDK's protojson rejects the proto root with "type must be a Type" (an instanceof across the two
// copies). Resolving protojson next to @temporalio/proto always pairs it with the right copy,
// whether npm deduplicated the package or not.
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

export type History = temporal.api.history.v1.IHistory;

interface ProtoJson {
  toJson(type: unknown, message: unknown, options?: Record<string, unknown>): unknown;
  fromJson(type: unknown, json: unknown, options?: Record<string, unknown>): unknown;
}

let cached: { protojson: ProtoJson; historyType: unknown } | undefined;

function runtime(): { protojson: ProtoJson; historyType: unknown } {
  if (cached) return cached;
  const protoDir = path.dirname(require.resolve('@temporalio/proto/package.json'));
  const protojson = require(require.resolve('protobufjs/ext/protojson', { paths: [protoDir] })) as ProtoJson;
  const patched = patchProtobufRoot(require('@temporalio/proto') as Record<string, unknown>) as unknown as { lookupType(name: string): unknown };
  cached = { protojson, historyType: patched.lookupType('temporal.api.history.v1.History') };
  return cached;
}

/** Tolerate fields this SDK does not know, e.g. in a history written by a newer server. */
const PARSE_OPTIONS = { ignoreUnknownFields: true };

/**
 * Proto map fields in a history: payload metadata, search attributes, header and memo fields,
 * marker details (local activity results), Nexus headers. The server serialises maps in no fixed
 * order, so two fetches of one history differ in the order of these keys; sorted, the same
 * history always gives the same bytes and the same SHA-256.
 */
const MAP_FIELDS = new Set(['metadata', 'indexedFields', 'fields', 'details', 'nexusHeader']);

function sortMapKeys(value: unknown, isMap = false): unknown {
  if (Array.isArray(value)) return value.map((v) => sortMapKeys(v));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, sortMapKeys(v, MAP_FIELDS.has(k))] as const);
  if (isMap) entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries);
}

/** The JSON text of a history, as the Temporal CLI writes it (2-space indent), with map keys in a fixed order. */
export function historyToJson(history: History): string {
  const { protojson, historyType } = runtime();
  return JSON.stringify(sortMapKeys(protojson.toJson(historyType, temporal.api.history.v1.History.fromObject(history))), null, 2);
}

type JsonObject = Record<string, unknown>;

/** 'WorkflowExecutionStarted' (older tools) -> 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED'. */
function enumValue(value: unknown, prefix: string): unknown {
  if (typeof value !== 'string' || value.startsWith(prefix)) return value;
  return `${prefix}_${value.replace(/[^\b][A-Z]/g, (m) => `${m[0]}_${m[1]}`).toUpperCase()}`;
}

function fixEvent(event: JsonObject): JsonObject {
  const key = Object.keys(event).find((k) => k.endsWith('EventAttributes'));
  if (!key) throw new TypeError(`history event ${String(event.eventId)} has no *EventAttributes`);
  const attrs = { ...(event[key] as JsonObject) };
  for (const [field, prefix] of [['parentClosePolicy', 'PARENT_CLOSE_POLICY'], ['workflowIdReusePolicy', 'WORKFLOW_ID_REUSE_POLICY'], ['initiator', 'CONTINUE_AS_NEW_INITIATOR'], ['retryState', 'RETRY_STATE']] as const) {
    if (attrs[field] !== undefined) attrs[field] = enumValue(attrs[field], prefix);
  }
  const queue = attrs.taskQueue as JsonObject | undefined;
  if (queue?.kind !== undefined) attrs.taskQueue = { ...queue, kind: enumValue(queue.kind, 'TASK_QUEUE_KIND') };
  const child = attrs.childWorkflowExecutionFailureInfo as JsonObject | undefined;
  if (child?.retryState !== undefined) attrs.childWorkflowExecutionFailureInfo = { ...child, retryState: enumValue(child.retryState, 'RETRY_STATE') };
  return { ...event, eventType: enumValue(event.eventType, 'EVENT_TYPE'), [key]: attrs };
}

/** A History object from proto3 JSON (ours, the Temporal CLI's, or the Web UI's download). */
export function historyFromJson(json: unknown): History {
  const events = (json as { events?: unknown } | null)?.events;
  if (!Array.isArray(events)) throw new TypeError('not a history: expected an object with an "events" list');
  const { protojson, historyType } = runtime();
  const loaded = protojson.fromJson(historyType, { events: events.map((e) => fixEvent(e as JsonObject)) }, PARSE_OPTIONS);
  if (!loaded) throw new TypeError('not a history: the events do not parse');
  return loaded as History;
}
