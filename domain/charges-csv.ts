// A provider's charges as CSV (docs/provider-api.md): a header row naming the columns, then one line
// per charge. The dialect is the registers' (domain/csv-dialect.ts): UTF-8 or Windows-1251, `;` or
// `,` (the header row decides), quotes, decimal commas and digit groups. Pure; the lines go on to
// readChargeLines (domain/charge-lines.ts), the same checks as a JSON body.
import { CsvFieldError, detectSeparator, isBlankCsvLine, splitCsvLine } from './csv-dialect';
import { spreadsheetDecimal } from './register-csv';
import { truncateForMessage } from './echo';
import { CHARGE_ERRORS_LISTED_MAX, CHARGE_LINES_MAX, readChargeLinesSteps, type ChargeLineError, type ChargeLineInput, type ParsedCharges } from './charge-lines';
import { runSteps, STEP_ITEMS, type Steps } from './steps';

export const CHARGE_COLUMNS_REQUIRED = ['account', 'service', 'amount'] as const;
export const CHARGE_COLUMNS_OPTIONAL = ['quantity', 'unit', 'tariff', 'for_period', 'reason'] as const;
const KNOWN_COLUMNS = new Set<string>([...CHARGE_COLUMNS_REQUIRED, ...CHARGE_COLUMNS_OPTIONAL]);
const DECIMAL_COLUMNS = new Set(['quantity', 'tariff', 'amount']);

/** A spreadsheet's decimal with an optional minus: "-1 500,50" → "-1500.50". */
function signedSpreadsheetDecimal(value: string): string {
  return value.startsWith('-') ? `-${spreadsheetDecimal(value.slice(1))}` : spreadsheetDecimal(value);
}

function parseColumns(line: string, separator: ';' | ','): string[] {
  const columns = splitCsvLine(line, separator).map((c) => c.trim().toLowerCase());
  const unknown = columns.filter((c) => !KNOWN_COLUMNS.has(c));
  if (unknown.length > 0) throw new CsvFieldError(`unknown column(s) ${unknown.map((c) => truncateForMessage(c)).join(', ')}: columns are ${[...KNOWN_COLUMNS].join(', ')}`);
  const missing = CHARGE_COLUMNS_REQUIRED.filter((c) => !columns.includes(c));
  if (missing.length > 0) throw new CsvFieldError(`missing column(s) ${missing.join(', ')}`);
  const dup = columns.find((c, i) => columns.indexOf(c) !== i);
  if (dup) throw new CsvFieldError(`column ${dup} appears twice`);
  return columns;
}

function lineInput(fields: string[], lineNo: number, columns: readonly string[]): ChargeLineInput {
  if (fields.length > columns.length) throw new CsvFieldError(`${fields.length} fields, the header row has ${columns.length}`);
  const values: Record<string, string> = {};
  columns.forEach((name, i) => {
    const raw = (fields[i] ?? '').trim();
    values[name] = DECIMAL_COLUMNS.has(name) && raw !== '' ? signedSpreadsheetDecimal(raw) : raw;
  });
  return {
    lineNo, account: values.account, service: values.service, quantity: values.quantity, unit: values.unit,
    tariff: values.tariff, amount: values.amount, forPeriod: values.for_period, reason: values.reason,
  };
}

/** Parses a charges CSV for `period`; on any unreadable line returns the first CHARGE_ERRORS_LISTED_MAX errors with their line numbers (1-based, the header is line 1). */
export function parseChargesCsv(text: string, period: string): ParsedCharges {
  return runSteps(parseChargesCsvSteps(text, period));
}

/** parseChargesCsv, yielding every STEP_ITEMS lines (domain/steps.ts): a server reads a million-line file without holding its other requests. */
export function* parseChargesCsvSteps(text: string, period: string): Steps<ParsedCharges> {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && isBlankCsvLine(lines[lines.length - 1] as string)) lines.pop();
  if (lines.length < 2) return { ok: false, errors: [{ line: 1, message: 'the file needs a header row (account;service;quantity;unit;tariff;amount;for_period;reason) and at least one line' }], errorCount: 1 };
  if (lines.length - 1 > CHARGE_LINES_MAX) return { ok: false, errors: [{ line: 1, message: `${lines.length - 1} lines: an upload holds at most ${CHARGE_LINES_MAX}` }], errorCount: 1 };
  const separator = detectSeparator(lines[0] as string);
  let columns: string[];
  try {
    columns = parseColumns(lines[0] as string, separator);
  } catch (err) {
    if (!(err instanceof CsvFieldError)) throw err;
    return { ok: false, errors: [{ line: 1, message: err.message }], errorCount: 1 };
  }
  const errors: ChargeLineError[] = [];
  let errorCount = 0;
  const inputs: ChargeLineInput[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (i % STEP_ITEMS === 0) yield;
    try {
      if (isBlankCsvLine(line)) throw new CsvFieldError('empty line inside the file');
      inputs.push(lineInput(splitCsvLine(line, separator), i + 1, columns));
    } catch (err) {
      if (!(err instanceof CsvFieldError)) throw err;
      errorCount++;
      if (errors.length < CHARGE_ERRORS_LISTED_MAX) errors.push({ line: i + 1, message: err.message });
    }
  }
  if (errorCount > 0) return { ok: false, errors, errorCount };
  return yield* readChargeLinesSteps(inputs, period);
}
