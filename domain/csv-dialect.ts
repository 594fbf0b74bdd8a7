// The CSV dialect the SPC reads from banks and providers, as spreadsheets in a Russian or Kazakh
// locale write it: UTF-8 (with or without a BOM) or Windows-1251, `;` or `,` between fields, RFC 4180
// quotes, decimal commas and digit groups (domain/register-csv.ts, spreadsheetDecimal). Shared by the
// bank registers (always `;`) and the providers' charges (either separator, decided by the header row).

/** Thrown for one bad field or line; the parsers collect these per line. */
export class CsvFieldError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
  }
}

export type CsvSeparator = ';' | ',';
export type CsvEncoding = 'utf-8' | 'windows-1251';

const QUOTE = '"';

/**
 * Bytes as text: strict UTF-8 when they are valid UTF-8, else Windows-1251 (what Excel saves as
 * "CSV" on a Russian Windows). Every byte string is some Windows-1251 text, so a file in another
 * encoding shows up as unknown accounts or services, row by row, not as a silent mis-read of digits:
 * digits, separators and Latin codes are the same bytes in both.
 */
export function decodeCsvBytes(body: Buffer): { text: string; encoding: CsvEncoding } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(body).replace(/^\uFEFF/, ''), encoding: 'utf-8' };
  } catch {
    return { text: new TextDecoder('windows-1251').decode(body), encoding: 'windows-1251' };
  }
}

/** The separator of a file whose first line is its column header row: `;` when it has one, else `,`. */
export function detectSeparator(headerLine: string): CsvSeparator {
  return headerLine.includes(';') || !headerLine.includes(',') ? ';' : ',';
}

/**
 * The fields of one line, with RFC 4180 quoting as spreadsheets write it: a field may be in double
 * quotes (then it may hold the separator, and `""` is a quote). Trailing empty fields are what a
 * spreadsheet pads a short line with; they are dropped here.
 */
export function splitCsvLine(line: string, separator: CsvSeparator): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === QUOTE) {
      let value = '';
      let j = i + 1;
      for (;;) {
        const close = line.indexOf(QUOTE, j);
        if (close < 0) throw new CsvFieldError('a quoted field is not closed on its line (a line break inside a field is not allowed)');
        value += line.slice(j, close);
        if (line[close + 1] === QUOTE) {
          value += QUOTE;
          j = close + 2;
          continue;
        }
        i = close + 1;
        break;
      }
      if (i < line.length && line[i] !== separator) throw new CsvFieldError(`text after the closing quote of field ${fields.length + 1}: quote the whole field`);
      fields.push(value);
    } else {
      const end = line.indexOf(separator, i);
      const value = end < 0 ? line.slice(i) : line.slice(i, end);
      if (value.includes(QUOTE)) throw new CsvFieldError(`field ${fields.length + 1} has a quote inside it: quote the whole field or remove the quote`);
      fields.push(value);
      i = end < 0 ? line.length : end;
    }
    if (i >= line.length) break;
    i++; // the separator
    if (i === line.length) fields.push('');
  }
  while (fields.length > 1 && (fields[fields.length - 1] as string).trim() === '') fields.pop();
  return fields;
}

/** A line of separators and blanks only: a spreadsheet's empty row. */
export function isBlankCsvLine(line: string): boolean {
  return /^[;,\s]*$/.test(line.replace(/""/g, ''));
}
