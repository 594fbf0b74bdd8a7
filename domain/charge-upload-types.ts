// Wire types of a provider's charge upload workflow (workflow id = the upload id,
// charges:<PROVIDER>:<YYYY-MM>:<hash>). Pure: imported by workflow code.

export interface ChargeUploadWorkflowInput {
  uploadId: string;
  providerId: string;
  period: string;
}

/** How an upload ended: done (the provider's current charges), superseded by a newer version, or refused (the period closed before it was done). */
export type ChargeUploadOutcome = 'done' | 'superseded' | 'refused';

export interface ChargeUploadSummary {
  uploadId: string;
  state: ChargeUploadOutcome;
  rowCount: number;
  rowsAccepted: number;
  rowsRefused: number;
  acceptedTotal: string;
}

export interface ChargeChunkInput {
  uploadId: string;
  afterLine: number;
  limit: number;
}

export interface ChargeChunkResult {
  lastLine: number;
  judged: number;
  more: boolean;
}
