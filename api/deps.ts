// What the HTTP server needs from the outside world; every route plugin receives it as its options.
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/connection';

export interface ApiDeps {
  db: Db;
  client: Client;
  taskQueue: string;
  /** Token of the operator page (api/routes/ops.ts); unset: the operator page is closed. */
  operatorToken?: string;
  /** Base URL of the Temporal Web UI, for links on the operator page. */
  temporalUiUrl?: string;
  /** The installation's payload codec, served to operators at /codec (api/routes/codec.ts); unset: payloads are not encrypted. */
  payloadCodec?: PayloadCodec;
  /** A pino-compatible logger, or true for fastify's default; default: warnings and errors to stderr. */
  logger?: FastifyBaseLogger | boolean;
}
