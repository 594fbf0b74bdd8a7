// The one message a correction sends its complaint, in a file of its own because the complaint
// workflow starts corrections (a duplicate's refund) and a correction names its complaint: both
// import this, neither imports the other for it.
import { defineSignal } from '@temporalio/workflow';

/** A correction was proposed for the complaint: the complaint shows it (`correctionId`) and the bank hears of it. */
export const correctionProposedSignal = defineSignal<[{ correctionId: string; by: string }]>('correctionProposed');
