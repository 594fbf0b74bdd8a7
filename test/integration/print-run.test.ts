// The period's print run on the real dev server and Postgres (issue 20 item 1): invoices from the
// database in print order (district, street, house, flat), N per file, the text of every page read
// back with pdftotext and its sums checked against the database, the manifest's hashes matching the
// files, and a re-run writing byte-identical files.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startPrintRun } from '../../client/print-runs';
import { submitPayment } from '../../client/payments';
import { loadPrintRun } from '../../db/queries/print-runs';
import { currentPeriod } from '../../db/seed/demo';
import { fromDb, formatAmount, sum } from '../../domain/money';
import type { PrintManifest } from '../../domain/print-run-types';
import { createAccount, createWorld } from '../support/fixtures';
import { startHarness, type Harness } from '../support/harness';

jest.setTimeout(300_000);

const printDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spc-print-'));
process.env.SPC_PRINT_DIR = printDir;

const period = currentPeriod().slice(0, 7);
/** Accounts in number order; their addresses put them in another order on paper. */
const HOUSEHOLDS: Array<{ number: string; address: string; district?: string }> = [
  { number: '7300000001', address: 'г. Алматы, ул. Абая, д. 10, кв. 2' },
  { number: '7300000002', address: 'г. Алматы, ул. Абая, д. 9, кв. 15' },
  { number: '7300000003', address: 'г. Алматы, ул. Абая, д. 9, кв. 3' },
  { number: '7300000004', address: 'г. Алматы, мкр. Самал-2, д. 58, кв. 12' },
  { number: '7300000005', address: 'г. Алматы, пр. Достык, д. 5а, кв. 1' },
  { number: '7300000006', address: 'г. Алматы, пр. Достык, д. 5, кв. 7' },
  { number: '7300000007', address: 'г. Алматы, ул. Абая, д. 9, кв. 3', district: 'Бостандыкский' },
];
const PRINT_ORDER = ['7300000004', '7300000006', '7300000005', '7300000003', '7300000002', '7300000001', '7300000007'];

let h: Harness;

beforeAll(async () => {
  h = await startHarness('print');
  await createWorld(h.database.db);
  for (const [i, hh] of HOUSEHOLDS.entries()) {
    await createAccount(h.database.db, {
      number: hh.number, address: hh.address, holderName: 'Қайратов Әсет Ұланұлы',
      lines: [{ service: 'ELEC', opening: `${i * 10}.50`, charged: '4200.25', previousReading: '1500.000' }, { service: 'WASTE', charged: '596.00' }],
    });
    if (hh.district) await h.database.db('personal_accounts').where({ number: hh.number }).update({ district: hh.district });
  }
  const paid = await submitPayment(h.ctx, { bankCode: 'HSBK', bankRef: `print-${randomBytes(4).toString('hex')}`, channel: 'cash_desk', account: '7300000003', amount: '1000.00' });
  if (!paid.ok) throw new Error(`payment rejected: ${paid.code}`);
});

afterAll(async () => {
  await h?.close();
  fs.rmSync(printDir, { recursive: true, force: true });
});

/** Still due per account from the database: the lines' amount due less what standing payments put on them. */
async function stillDueByAccount(): Promise<Map<string, string>> {
  const { rows } = await h.database.db.raw<{ rows: Array<{ account: string; due: string; paid: string }> }>(`
    SELECT i.account_number AS account, sum(l.amount_due) AS due,
           COALESCE((SELECT sum(p.amount) FROM payments p WHERE p.invoice_id = i.id AND p.status = 'accepted'), 0) AS paid
      FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id WHERE i.period = ?::date GROUP BY i.id, i.account_number`, [`${period}-01`]);
  return new Map(rows.map((r) => [r.account, formatAmount(fromDb(r.due).minus(fromDb(r.paid)))]));
}

function pagesOf(file: string): Array<{ account: string; stillDue: string; text: string }> {
  const text = execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
  return text.split('\f').filter((p) => p.trim() !== '').map((page) => ({
    account: /Дербес шот: ([0-9]+)/.exec(page)?.[1] ?? '',
    stillDue: /Барлығы төлеуге: ([0-9.]+) KZT/.exec(page)?.[1] ?? '',
    text: page,
  }));
}

describe('print run', () => {
  it('prints the period in print order, 3 per file, with sums from the database and hashes in the manifest; a re-run is byte-identical', async () => {
    const first = await (await startPrintRun(h.ctx, { period, invoicesPerFile: 3 })).result();
    expect(first).toEqual(expect.objectContaining({ period, invoices: 7, files: 3 }));

    const manifest = JSON.parse(fs.readFileSync(first.manifestPath, 'utf8')) as PrintManifest;
    const dir = path.join(printDir, period);
    expect(manifest.fileList.map((f) => f.invoices)).toEqual([3, 3, 1]);
    const bytesOf = new Map<string, Buffer>();
    for (const f of manifest.fileList) {
      const bytes = fs.readFileSync(path.join(dir, f.name));
      bytesOf.set(f.name, bytes);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(f.sha256);
      expect(bytes.length).toBe(f.bytes);
    }

    const pages = manifest.fileList.flatMap((f) => pagesOf(path.join(dir, f.name)));
    expect(pages.map((p) => p.account)).toEqual(PRINT_ORDER);
    const due = await stillDueByAccount();
    for (const p of pages) expect(p.stillDue).toBe(due.get(p.account));
    // The paid account shows what it paid, and its still due is 1,000.00 less than its total.
    const paidPage = pages.find((p) => p.account === '7300000003');
    expect(paidPage?.text).toContain('Оплачено / Төленді: 1000.00 KZT');
    expect(paidPage?.text).toContain('1500.000');
    expect(paidPage?.text).toMatch(/ә|қ|ұ/);
    expect(manifest.totalStillDue).toBe(formatAmount(sum([...due.values()].map((v) => fromDb(v)))));

    const status = await loadPrintRun(h.database.db, period);
    expect(status).toEqual(expect.objectContaining({ state: 'done', filesDone: 3, filesTotal: 3, invoicesDone: 7, invoicesTotal: 7 }));

    const again = await (await startPrintRun(h.ctx, { period, invoicesPerFile: 3 })).result();
    expect(again.manifestSha256).toBe(first.manifestSha256);
    for (const [name, bytes] of bytesOf) expect(fs.readFileSync(path.join(dir, name)).equals(bytes)).toBe(true);
  });
});
