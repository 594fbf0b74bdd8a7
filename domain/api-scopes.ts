// What a bank API key may do: the scopes and their presets, one rule that the key store
// (db/bank-keys.ts), the CLI and the API share. Every /v1 route declares the one scope it needs
// (route config `scope`, api/scopes.ts); the bank API refuses a key without it with 403 KEY_SCOPE.
// A cashier's browser holds a `cashier` key: it looks up, pays and cancels a mistaken payment, but
// cannot upload registers, read or confirm settlements, or raise complaints. The bank's back office holds a `bank` key (all scopes).
// The list is also written into the access migration's CHECK constraint: a scope added here needs
// a migration that widens it.

export const API_SCOPES = {
  lookup: 'read invoices and this bank\'s payments',
  pay: 'submit payments',
  cancel: 'cancel payments before the cut-off',
  registers: 'upload day registers and follow them',
  'settlements:read': 'read settlements and download payment lists',
  'settlements:confirm': 'confirm the transfers of a payment list',
  complaints: 'raise complaints and follow them',
} as const;

export type ApiScope = keyof typeof API_SCOPES;
export const ALL_API_SCOPES = Object.keys(API_SCOPES) as ApiScope[];

/** Named sets of scopes for `spc bank key create --scopes`. */
export const SCOPE_PRESETS = {
  cashier: ['lookup', 'pay', 'cancel'],
  bank: ALL_API_SCOPES,
} as const satisfies Record<string, readonly ApiScope[]>;

export type ScopePreset = keyof typeof SCOPE_PRESETS;
/** Keys created without naming scopes get every scope, as keys did before scopes existed. */
export const SCOPE_PRESET_DEFAULT: ScopePreset = 'bank';

export function isApiScope(value: unknown): value is ApiScope {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(API_SCOPES, value);
}

/** Thrown when a scope list names an unknown scope or preset. */
export class UnknownScopeError extends Error {
  override name = 'UnknownScopeError';
  constructor(readonly scope: string) {
    super(`unknown scope ${JSON.stringify(scope)}: use presets ${Object.keys(SCOPE_PRESETS).join(', ')} or scopes ${ALL_API_SCOPES.join(', ')}`);
  }
}

/** "cashier", "lookup,pay" or "cashier,complaints" → the scopes, in API_SCOPES order, without repeats. */
export function parseScopes(text: string): ApiScope[] {
  const wanted = new Set<ApiScope>();
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    if (Object.prototype.hasOwnProperty.call(SCOPE_PRESETS, part)) for (const s of SCOPE_PRESETS[part as ScopePreset]) wanted.add(s);
    else if (isApiScope(part)) wanted.add(part);
    else throw new UnknownScopeError(part);
  }
  if (wanted.size === 0) throw new UnknownScopeError(text);
  return ALL_API_SCOPES.filter((s) => wanted.has(s));
}
