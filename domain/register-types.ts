// Wire types and the business id of a day register's workflow. Pure: imported by workflow code.

export interface RegisterWorkflowInput {
  registerId: string;
  bankCode: string;
}

export interface RegisterSummary {
  registerId: string;
  rowCount: number;
  rowsAccepted: number;
  rowsRejected: number;
}

export function registerWorkflowId(registerId: string): string {
  return `register:${registerId}`;
}

/** Hex characters of the file hash in the register id: 64 bits, unique per bank in practice (the unique key guards the rest). */
export const REGISTER_ID_HASH_CHARS = 16;

/** A register's business id: its bank and the start of its content hash, so the same file is the same register. */
export function registerIdFor(bankCode: string, fileSha256: string): string {
  return `${bankCode}:${fileSha256.slice(0, REGISTER_ID_HASH_CHARS)}`;
}
