// How a provider's daily register travels to its webhook: the files inline (base64 in the signed
// JSON body) while that body stays within the bound, else a signed notice that names the files, their
// sizes and SHA-256, and where to pull them. A 70,000-line register is ~67 MB of base64; an endpoint
// that refuses such a body (most proxies stop at a few MB) would see the push fail on every retry
// for a week, so the bound is checked before the body is built, from the files' sizes alone.
// Pure and deterministic: no clock, no I/O, no Node built-ins.
import type { ProviderRegisterFormat } from './provider-register';

/** Default of PROVIDER_PUSH_BODY_BYTES_MAX: well under the 10 MB many gateways take by default. */
export const PROVIDER_PUSH_BODY_BYTES_MAX_DEFAULT = 8 * 1024 * 1024;

export const PROVIDER_REGISTER_NOTICE_EVENT = 'provider.register_notice';
/** Why a notice went instead of the files; the only reason so far. */
export const REGISTER_TOO_LARGE = 'REGISTER_TOO_LARGE';

/** The file names of the pull API (GET /v1/provider/registers/:id/<name>). */
export const PROVIDER_REGISTER_FILE_NAMES: Record<ProviderRegisterFormat, string> = { csv: 'register.csv', camt054: 'camt054.xml' };

/** Characters of the base64 of `bytes` bytes (padded): 4 per started group of 3. */
export function base64Length(bytes: number): number {
  return 4 * Math.ceil(bytes / 3);
}

/**
 * Bytes of the JSON body with the files inline, without building it: the body with every
 * `contentBase64` empty (`envelopeBytes`), plus each file's base64, which JSON carries unescaped.
 */
export function pushBodyBytes(envelopeBytes: number, fileBytes: readonly number[]): number {
  return fileBytes.reduce((n, b) => n + base64Length(b), envelopeBytes);
}

export type RegisterPushMode = 'files' | 'notice';

/** The files go inline when the whole body fits the bound; at the bound exactly it still fits. */
export function registerPushMode(bodyBytes: number, bodyBytesMax: number): RegisterPushMode {
  return bodyBytes <= bodyBytesMax ? 'files' : 'notice';
}

/** The pull path of one register file (relative to the API's base URL). */
export function registerFilePath(registerId: string, format: ProviderRegisterFormat): string {
  return `/v1/provider/registers/${encodeURIComponent(registerId)}/${PROVIDER_REGISTER_FILE_NAMES[format]}`;
}
