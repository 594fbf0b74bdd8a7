// A minimal, deterministic XML writer for the files we generate (pain.001). We build a small tree
// and render it ourselves instead of pulling in an XML library: the output must be byte-identical
// for identical input, and every byte of it should be explainable from this file.
// Pure: no I/O, no Node built-ins, so workflow code may import it.

/** One element. `text` and `children` are exclusive: ISO 20022 has no mixed content. */
export interface XmlElement {
  name: string;
  attributes?: ReadonlyArray<readonly [string, string]>;
  text?: string;
  children?: ReadonlyArray<XmlElement>;
}

const INDENT = '  ';

const XML_SPECIAL_RE = /[&<>"']/;

/** Escapes the five XML special characters; safe both in text and in double-quoted attributes. */
export function escapeXml(value: string): string {
  if (!XML_SPECIAL_RE.test(value)) return value;
  return value.replace(/[&<>"']/g, (ch) => {
    switch (ch) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      default:
        return '&apos;';
    }
  });
}

// Characters XML 1.0 does not allow at all (C0 controls other than tab/LF/CR, U+FFFE, U+FFFF),
// plus DEL and the C1 controls, which XML allows but which no bank wants in a name.
const CONTROL_RE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFE\uFFFF]/g;
// A lone surrogate is not a character: it cannot be encoded in UTF-8 and breaks the parser.
const LONE_SURROGATE_RE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const WHITESPACE_RUN_RE = /[\t\n\r ]+/g;

/**
 * Makes free text fit for a single-line ISO 20022 text element: NFC-normalised (so "й" is one
 * character, as the schema counts), control characters and lone surrogates removed, tabs and line
 * breaks turned into spaces, runs of spaces collapsed, ends trimmed.
 */
export function sanitizeText(value: string): string {
  return value.normalize('NFC').replace(LONE_SURROGATE_RE, '').replace(CONTROL_RE, '').replace(WHITESPACE_RUN_RE, ' ').trim();
}

/** Length as XML Schema counts it: in Unicode code points, not UTF-16 units and not bytes. */
export function charLength(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}

const graphemes = new Intl.Segmenter('und', { granularity: 'grapheme' });

/**
 * Cuts `value` to at most `maxChars` code points. It cuts only between grapheme clusters, so it
 * never splits a surrogate pair nor separates a letter from its combining mark, and it trims the
 * spaces the cut leaves at the end.
 */
export function truncateChars(value: string, maxChars: number): string {
  if (charLength(value) <= maxChars) return value;
  let out = '';
  let used = 0;
  for (const { segment } of graphemes.segment(value)) {
    const size = charLength(segment);
    if (used + size > maxChars) break;
    out += segment;
    used += size;
  }
  return out.trimEnd();
}

/** Sanitised and cut to the schema's limit; throws when nothing printable is left. */
export function fitText(value: string, maxChars: number, what: string): string {
  const text = truncateChars(sanitizeText(value), maxChars);
  if (text.length === 0) throw new Error(`${what} is empty after removing control characters: give it a printable value`);
  return text;
}

/** Shorthand for building the tree; `undefined` children are dropped so optional parts read inline. */
export function el(name: string, content: string | ReadonlyArray<XmlElement | undefined>, attributes?: XmlElement['attributes']): XmlElement {
  if (typeof content === 'string') return { name, text: content, attributes };
  return { name, children: content.filter((c): c is XmlElement => c !== undefined), attributes };
}

function renderElement(node: XmlElement, depth: number, out: string[]): void {
  const pad = INDENT.repeat(depth);
  let attrs = '';
  for (const [k, v] of node.attributes ?? []) attrs += ` ${k}="${escapeXml(v)}"`;
  if (node.text !== undefined) {
    out.push(`${pad}<${node.name}${attrs}>${escapeXml(node.text)}</${node.name}>`);
    return;
  }
  const children = node.children ?? [];
  if (children.length === 0) {
    out.push(`${pad}<${node.name}${attrs}/>`);
    return;
  }
  out.push(`${pad}<${node.name}${attrs}>`);
  for (const child of children) renderElement(child, depth + 1, out);
  out.push(`${pad}</${node.name}>`);
}

/** A complete UTF-8 document: declaration, two-space indentation, LF line ends, final newline. */
export function renderXmlDocument(root: XmlElement): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  renderElement(root, 0, out);
  return `${out.join('\n')}\n`;
}

// Streaming pieces for the big documents (camt.054 registers of 10⁵ lines): the same bytes as
// renderXmlDocument gives for the same tree, written as strings without building the tree, whose
// millions of small objects and arrays cost more in GC than the rendering itself.

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

const PADS_CACHED = 16;
const PADS = Array.from({ length: PADS_CACHED }, (_, depth) => INDENT.repeat(depth));

function padOf(depth: number): string {
  return PADS[depth] ?? INDENT.repeat(depth);
}

function attributesOf(attributes: XmlElement['attributes']): string {
  let attrs = '';
  for (const [k, v] of attributes ?? []) attrs += ` ${k}="${escapeXml(v)}"`;
  return attrs;
}

/** One text element on its own line, with a trailing LF: `  <Name a="v">text</Name>\n`. */
export function xmlLeaf(depth: number, name: string, text: string, attributes?: XmlElement['attributes']): string {
  return `${padOf(depth)}<${name}${attributesOf(attributes)}>${escapeXml(text)}</${name}>\n`;
}

/** The opening tag of an element with children, on its own line. */
export function xmlOpen(depth: number, name: string, attributes?: XmlElement['attributes']): string {
  return `${padOf(depth)}<${name}${attributesOf(attributes)}>\n`;
}

/** The closing tag of an element with children, on its own line. */
export function xmlClose(depth: number, name: string): string {
  return `${padOf(depth)}</${name}>\n`;
}
