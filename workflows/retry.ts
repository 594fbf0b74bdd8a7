// Retry policy for infrastructure faults (Postgres down, a deadlock, a lost connection): durable,
// with backoff bounded at one minute, so a long outage delays payments but loses none. Business
// outcomes are never thrown by activities, so they never reach this policy.
import type { RetryPolicy } from '@temporalio/common';

export const retryPolicy: RetryPolicy = {
  initialInterval: '200ms',
  backoffCoefficient: 2,
  maximumInterval: '60s',
  // No maximumAttempts: unlimited. The bound is on the interval; operators see failing attempts in the UI.
};
