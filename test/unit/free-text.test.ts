// Free text refuses what garbles a terminal or makes a text read differently from what it holds
// (C0/C1 controls, bidi overrides and isolates), in the client check and the API's schema pattern
// alike; what was stored before the rule is printed escaped.
import Ajv from 'ajv';
import { FREE_TEXT_PATTERN, freeTextProblem, printableText } from '../../domain/free-text';

const schemaAccepts = new Ajv().compile({ type: 'string', pattern: FREE_TEXT_PATTERN });

const HOSTILE: Array<[string, string]> = [
  ['NUL', 'a\u0000b'],
  ['ESC', 'a\u001b[2Jb'],
  ['DEL', 'a\u007fb'],
  ['the C1 padding character U+0080', 'a\u0080b'],
  ['the C1 CSI U+009B', 'a\u009b2Jb'],
  ['the last C1 control U+009F', 'a\u009fb'],
  ['LEFT-TO-RIGHT EMBEDDING U+202A', 'a\u202ab'],
  ['RIGHT-TO-LEFT OVERRIDE U+202E', 'refund \u202e00.0001'],
  ['LEFT-TO-RIGHT ISOLATE U+2066', 'a\u2066b'],
  ['POP DIRECTIONAL ISOLATE U+2069', 'a\u2069b'],
];

describe('free text', () => {
  it.each(HOSTILE)('refuses %s in the client check and the schema pattern', (_what, text) => {
    expect(freeTextProblem(text, 'text', 100)).toMatch(/control character/);
    expect(schemaAccepts(text)).toBe(false);
  });

  it.each([
    ['Cyrillic and Kazakh with line breaks', 'Оплатил дважды,\r\nҚазақша: әғқңөұүһі\tок'],
    ['Arabic and Hebrew (right-to-left without overrides)', 'مرحبا שלום'],
    ['the characters right next to the refused ranges', '\u00a0\u2029\u202f\u2065\u206a'],
  ])('accepts %s', (_what, text) => {
    expect(freeTextProblem(text, 'text', 100)).toBeUndefined();
    expect(schemaAccepts(text)).toBe(true);
  });

  it('prints every refused character escaped, and plain text unchanged', () => {
    for (const [, text] of HOSTILE) expect(printableText(text)).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(printableText('refund \u202e00.0001')).toBe('refund \\u{202E}00.0001');
    expect(printableText('a\u009bb')).toBe('a\\u{009B}b');
    expect(printableText('Оплатил\nдважды')).toBe('Оплатил\nдважды');
  });
});
