// Rate limit of the bank API (@fastify/rate-limit), per API key: a bank's systems, a runaway
// retry loop or a leaked key cannot take the whole API. Counted per key id (the key's own limit
// from bank_api_keys.rate_limit_per_minute, else the default); requests without a valid key are
// counted per client IP with a lower limit, so guessing keys is slow too. Over the limit the answer
// is 429 RATE_LIMITED in the house error shape, with Retry-After.
//
// The plugin adds its check to each /v1 route's own onRequest hooks, which run after the /v1
// scope's identifyBank (so the key is known) and before requireBank (so unauthenticated requests
// are counted). Counters live in this process's memory: N API processes allow N times the limit.
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from './errors';
import { ACCESS_SETTINGS_DEFAULT, type RateLimitSettings } from '../infra/config';

// The setting's type is infra/config.ts's (configuration stands on the ground floor); kept here for importers.
export type { RateLimitSettings };

/**
 * Generous (30,000 a minute per key, infra/config.ts): `bench -- --http --rate 20` sends 1,200 a
 * minute with one key, and the 100 payments a second the engine is sized for are 6,000. A limit is
 * there to stop a runaway client or a leaked key, not to shape normal traffic.
 */
export const RATE_LIMITS_DEFAULT: RateLimitSettings = {
  perKeyPerMinute: ACCESS_SETTINGS_DEFAULT.rateLimitPerKeyPerMinute,
  anonymousPerMinute: ACCESS_SETTINGS_DEFAULT.rateLimitAnonymousPerMinute,
};
export const RATE_LIMIT_WINDOW_MS = 60_000;
/** Counters kept (keys and IPs); the store forgets the least recently seen past it. */
export const RATE_LIMIT_COUNTERS_MAX = 10_000;

function counterKey(request: FastifyRequest): string {
  return request.bank ? `key:${request.bank.keyId}` : `ip:${request.ip}`;
}

function limitOf(request: FastifyRequest, settings: RateLimitSettings): number {
  if (!request.bank) return settings.anonymousPerMinute;
  return request.bank.rateLimitPerMinute ?? settings.perKeyPerMinute;
}

/** Registers the limit on the /v1 scope `v1` (await it: the routes registered after it are limited). */
export async function installRateLimit(v1: FastifyInstance, settings: RateLimitSettings = RATE_LIMITS_DEFAULT): Promise<void> {
  await v1.register(rateLimit, {
    global: true,
    timeWindow: RATE_LIMIT_WINDOW_MS,
    cache: RATE_LIMIT_COUNTERS_MAX,
    keyGenerator: counterKey,
    max: (request) => limitOf(request, settings),
    errorResponseBuilder: (request, context) => {
      const retryAfterSeconds = Math.max(1, Math.ceil(context.ttl / 1000));
      return new ApiError(
        429,
        'RATE_LIMITED',
        `more than ${context.max} requests a minute ${request.bank ? 'with this API key' : 'without a valid API key from this address'}: retry after ${retryAfterSeconds} s`,
        { limitPerMinute: context.max, retryAfterSeconds },
      );
    },
  });
}

/**
 * Per client IP on the operator routes (/ops, /codec): a tab of /ops polls every few seconds and the
 * Temporal UI decodes a history page in a few requests, so 300 a minute is far above an operator's
 * use while it keeps a guesser of the operator token or the codec's UI value slow.
 */
export const OPERATOR_RATE_LIMIT_PER_IP_PER_MINUTE = 300;

/** Registers a per-IP limit on `scope` (await it: the routes registered after it in the scope are limited). */
export async function installOperatorRateLimit(scope: FastifyInstance, perIpPerMinute = OPERATOR_RATE_LIMIT_PER_IP_PER_MINUTE, what = 'operator'): Promise<void> {
  await scope.register(rateLimit, {
    global: true,
    timeWindow: RATE_LIMIT_WINDOW_MS,
    cache: RATE_LIMIT_COUNTERS_MAX,
    keyGenerator: (request) => `ip:${request.ip}`,
    max: perIpPerMinute,
    errorResponseBuilder: (_request, context) => {
      const retryAfterSeconds = Math.max(1, Math.ceil(context.ttl / 1000));
      return new ApiError(429, 'RATE_LIMITED', `more than ${context.max} ${what} requests a minute from this address: retry after ${retryAfterSeconds} s`, { limitPerMinute: context.max, retryAfterSeconds });
    },
  });
}
