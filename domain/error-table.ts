// One shape for every table of refusal codes (settlement, correction, complaint): each stable code
// with the HTTP status the bank API answers it with and what it means. The client's errors
// (client/errors.ts), the API's answers (api/errors.ts) and the CLI read the same table, so a code
// cannot mean one thing in one entrance and another elsewhere. Pure: workflow code imports it.

export interface ErrorCodeEntry {
  /** 404: nothing to act on; 409: the state of the thing says no; 422: the request is wrong for a business reason. */
  readonly status: number;
  readonly message: string;
}

export type ErrorTable<C extends string> = { readonly [K in C]: ErrorCodeEntry };

export function isCodeIn<C extends string>(table: ErrorTable<C>, value: unknown): value is C {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(table, value);
}
