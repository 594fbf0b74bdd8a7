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
