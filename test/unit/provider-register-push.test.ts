// The push's size decision (domain/provider-register-push.ts): the body's size is computed from the
// files' sizes without building it, exactly, and the files go inline only while it fits the bound.
import { base64Length, pushBodyBytes, registerFilePath, registerPushMode } from '../../domain/provider-register-push';

describe('provider register push size', () => {
  it('counts base64 characters exactly, padding included', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 6, 1000, 69_425 * 700]) expect(base64Length(n)).toBe(Buffer.alloc(n).toString('base64').length);
  });

  it('predicts the byte size of the JSON body with the files inline', () => {
    const files = [Buffer.from('bank_ref;amount\nK1;450.00\n'), Buffer.from('<?xml version="1.0"?><Document>Ω</Document>')];
    const envelope = { event: 'provider.register', registerId: 'AES:2026-12-07:v1', files: files.map(() => ({ contentBase64: '' })) };
    const full = { ...envelope, files: files.map((f) => ({ contentBase64: f.toString('base64') })) };
    expect(pushBodyBytes(Buffer.byteLength(JSON.stringify(envelope)), files.map((f) => f.byteLength))).toBe(Buffer.byteLength(JSON.stringify(full)));
  });

  it('inlines the files up to the bound and sends a notice one byte above it', () => {
    expect(registerPushMode(8 * 1024 * 1024, 8 * 1024 * 1024)).toBe('files');
    expect(registerPushMode(8 * 1024 * 1024 + 1, 8 * 1024 * 1024)).toBe('notice');
    expect(registerPushMode(200, 1024)).toBe('files');
  });

  it('names the pull path of each file with the register id escaped', () => {
    expect(registerFilePath('AES:2026-12-07:v1', 'csv')).toBe('/v1/provider/registers/AES%3A2026-12-07%3Av1/register.csv');
    expect(registerFilePath('AES:2026-12-07:v1', 'camt054')).toBe('/v1/provider/registers/AES%3A2026-12-07%3Av1/camt054.xml');
  });
});
