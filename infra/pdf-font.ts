// The invoice font (DejaVu Sans, assets/fonts, its licence beside it: Cyrillic and ә ғ қ ң ө ұ ү һ і),
// parsed once per thread and made cheap to use in many small documents. The mail delivery renders
// a document per invoice; measured on this machine, a one-page document cost 18 ms, of which the
// font subset (re-reading every used glyph's outline) was 7 ms and text shaping 4 ms, against 5 ms
// a page in a long document. Two memos, both of pure functions of their input, so the output is
// the same bytes whether or not a memo answered:
// - shaping (fontkit's layout) by text: the invoice's words repeat from document to document;
// - the subset's font program by its glyph list. Every document starts its subset with the same
//   glyphs (FIXED_GLYPHS_TEXT, see startFixedSubset), so nearly every invoice has the same list and
//   the font program is built once per thread. A document with a letter outside it (a rare name)
//   gets a longer list and a font program of its own.
import { readFileSync } from 'node:fs';
import path from 'node:path';
const fontkit = require('fontkit') as { create(buffer: Buffer): unknown };

/** Shaped texts kept; past it new texts are shaped each time (still correct, only slower). */
export const SHAPED_TEXTS_MAX = 20_000;
/** Font programs kept (distinct glyph lists). */
export const FONT_PROGRAMS_MAX = 64;

/** Letters, digits and signs an invoice uses: Russian, Kazakh, Latin. */
const FIXED_GLYPHS_TEXT =
  'АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнопрстуфхцчшщъыьэюяӘәҒғҚқҢңӨөҰұҮүҺһІі' +
  '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz .,:;/-—–·()№«»%+\'"';

interface Position { xAdvance: number; [key: string]: number }
interface GlyphRun { glyphs: unknown[]; positions: Position[]; readonly advanceWidth: number }
interface Subset { glyphs: number[]; encode(): Buffer }
interface FontkitFont { layout(text: string, features?: unknown): GlyphRun; createSubset(): Subset }

const shaped = new Map<string, GlyphRun>();
const programs = new Map<string, Buffer>();
export const fontMemoCounts = { shapedHits: 0, programHits: 0, programBuilds: 0 };

/** A run of its own for the caller: pdfkit scales the positions in place. */
function copyRun(run: GlyphRun): GlyphRun {
  const positions = run.positions.map((p) => ({ ...p }));
  return {
    glyphs: run.glyphs, positions,
    get advanceWidth() {
      let width = 0;
      for (const p of positions) width += p.xAdvance;
      return width;
    },
  };
}

function withMemos(font: FontkitFont): FontkitFont {
  const shape = font.layout.bind(font);
  const createSubset = font.createSubset.bind(font);
  font.layout = (text, features) => {
    if (features !== undefined) return shape(text, features);
    let run = shaped.get(text);
    if (run) fontMemoCounts.shapedHits++;
    else {
      run = shape(text);
      if (shaped.size < SHAPED_TEXTS_MAX) shaped.set(text, run);
    }
    return copyRun(run);
  };
  font.createSubset = () => {
    const subset = createSubset();
    const build = subset.encode.bind(subset);
    subset.encode = () => {
      const key = subset.glyphs.join(',');
      const known = programs.get(key);
      if (known) {
        fontMemoCounts.programHits++;
        return known;
      }
      fontMemoCounts.programBuilds++;
      const program = build();
      if (programs.size < FONT_PROGRAMS_MAX) programs.set(key, program);
      return program;
    };
    return subset;
  };
  return font;
}

export const INVOICE_FONT = withMemos(
  fontkit.create(readFileSync(path.join(__dirname, '..', 'assets', 'fonts', 'DejaVuSans.ttf'))) as FontkitFont,
) as unknown as PDFKit.Mixins.PDFFontSource;

/**
 * Selects the font on a new document and puts the fixed glyphs first in its subset (pdfkit numbers
 * a document's glyphs in the order they are first used), so the subset's glyph list, and with it
 * the font program, is the same in nearly every document. Reaches pdfkit's current font (`_font`),
 * whose encode() is what text() calls, without drawing anything.
 */
export function startFixedSubset(doc: PDFKit.PDFDocument, family: string): void {
  doc.font(family);
  (doc as unknown as { _font: { encode(text: string): unknown } })._font.encode(FIXED_GLYPHS_TEXT);
}
