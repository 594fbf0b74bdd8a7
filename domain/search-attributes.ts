// Search attributes the SPC registers on its Temporal namespace. Operators filter on the same names
// in the Temporal Web UI and in `spc workflows list`. All are Keyword: exact-match filters.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const BANK_CODE = defineSearchAttributeKey('BankCode', SearchAttributeType.KEYWORD);
export const BUSINESS_DATE = defineSearchAttributeKey('BusinessDate', SearchAttributeType.KEYWORD);
export const PAYMENT_STATUS = defineSearchAttributeKey('PaymentStatus', SearchAttributeType.KEYWORD);
export const SETTLEMENT_STATUS = defineSearchAttributeKey('SettlementStatus', SearchAttributeType.KEYWORD);
export const CHANNEL = defineSearchAttributeKey('Channel', SearchAttributeType.KEYWORD);
export const REJECTION_CODE = defineSearchAttributeKey('RejectionCode', SearchAttributeType.KEYWORD);
export const REGISTER_ID = defineSearchAttributeKey('RegisterId', SearchAttributeType.KEYWORD);
/** A billing period's close (workflows/period.ts): YYYY-MM. */
export const PERIOD = defineSearchAttributeKey('Period', SearchAttributeType.KEYWORD);

/** Set by Temporal itself on every workflow a schedule starts (not registered by the SPC): the time the schedule meant, not when it ran. */
export const SCHEDULED_START_TIME = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

export const SEARCH_ATTRIBUTE_NAMES = ['BankCode', 'BusinessDate', 'PaymentStatus', 'SettlementStatus', 'Channel', 'RejectionCode', 'RegisterId', 'Period'] as const;
