// The failure converter of an SPC whose payloads are encrypted (infra/payload-codec.ts). A failure's
// message and stack trace are not payloads: by default they sit in the history in clear, and a
// rejection's message may name the personal account. With encodeCommonAttributes they travel as an
// encoded payload, which the codec encrypts; the failure's type (the rejection code) stays readable.
// This module is loaded by path (DataConverter.failureConverterPath) and bundled into the workflow
// code, so it imports nothing but @temporalio/common.
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
