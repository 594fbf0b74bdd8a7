// The processes' JSON logs (infra/log.ts): one object per line, the context fields an operator
// searches by, and no personal data whatever a caller hands the logger.
import { createLogger, redact, REDACTED, writeSdkEntry } from '../../infra/log';

function capture(level: Parameters<typeof createLogger>[0]['level'] = 'info') {
  const lines: string[] = [];
  const logger = createLogger({ level, bindings: { role: 'worker' }, write: (l) => void lines.push(l), now: () => new Date('2026-12-01T10:00:00Z') });
  return { logger, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('createLogger', () => {
  it('writes one JSON object per line with time, level, message, role and fields', () => {
    const { logger, lines, parsed } = capture();
    logger.info({ workflowId: 'payment:HSBK:1234567', bankRef: '1234567', activityType: 'postPayment' }, 'posted');
    expect(lines[0]?.endsWith('\n')).toBe(true);
    expect(parsed()[0]).toEqual({
      time: '2026-12-01T10:00:00.000Z', level: 'info', msg: 'posted', pid: process.pid, role: 'worker',
      workflowId: 'payment:HSBK:1234567', bankRef: '1234567', activityType: 'postPayment',
    });
  });

  it('drops lines below its level, and a child keeps the parent bindings with its own level', () => {
    const { logger, parsed } = capture('warn');
    logger.info('not shown');
    logger.child({ component: 'http' }, { level: 'debug' }).debug({ reqId: 'r1' }, 'shown');
    expect(parsed()).toEqual([expect.objectContaining({ msg: 'shown', level: 'debug', role: 'worker', component: 'http', reqId: 'r1' })]);
    expect(logger.isLevelEnabled('error')).toBe(true);
    expect(logger.isLevelEnabled('info')).toBe(false);
  });

  it('passes the Temporal SDK context (workflow id, activity type, bank reference) through as fields', () => {
    const { logger, parsed } = capture();
    writeSdkEntry(logger, 'WARN', 'Activity failed', { workflowId: 'register:HSBK:ab12', activityType: 'processRegisterChunk', bankCode: 'HSBK', error: new Error('connection reset') });
    expect(parsed()[0]).toEqual(expect.objectContaining({
      level: 'warn', msg: 'Activity failed', workflowId: 'register:HSBK:ab12', activityType: 'processRegisterChunk', bankCode: 'HSBK',
      error: expect.objectContaining({ type: 'Error', message: 'connection reset' }),
    }));
  });
});

describe('redaction of personal data', () => {
  it('replaces fields that hold personal data at any depth: accounts, names, addresses, readings, whole requests', () => {
    const { logger, lines } = capture();
    logger.warn({
      bankRef: 'r-7', account: '1000000001', payer: { fullName: 'Айгерим Садыкова', address: 'Абая 10, кв. 5' },
      nested: { readings: [{ meter: 'water', value: '123.4' }], request: { account: '1000000002', amount: '10.00' } },
    }, 'check');
    const line = lines.join('');
    for (const personal of ['1000000001', '1000000002', 'Айгерим', 'Абая', '123.4']) expect(line).not.toContain(personal);
    expect(JSON.parse(line)).toEqual(expect.objectContaining({ bankRef: 'r-7', account: REDACTED, payer: REDACTED, nested: { readings: REDACTED, request: REDACTED } }));
  });

  it('masks account-like digit runs in messages, errors and URLs, but keeps identifiers', () => {
    const { logger, parsed } = capture();
    const err = new Error('duplicate key value violates unique constraint: Key (account)=(1000000001) already exists');
    logger.error({ err, url: '/v1/invoices/1000000003?month=2026-11', workflowId: 'payment:HSBK:20261201001' }, 'personal account 1000000004 is not in the SPC database');
    const [line] = parsed();
    expect(JSON.stringify(line)).not.toMatch(/100000000[134]/);
    expect(line).toEqual(expect.objectContaining({
      msg: 'personal account [digits] is not in the SPC database', url: '/v1/invoices/[digits]?month=2026-11', workflowId: 'payment:HSBK:20261201001',
    }));
    expect((line?.err as { message: string }).message).toBe('duplicate key value violates unique constraint: Key (account)=([digits]) already exists');
  });

  it('keeps of fastify\'s request what pino would (method, masked url), and never walks sockets or clients', () => {
    class Socket { remoteAddress = '10.0.0.7'; buffer = 'payer Айгерим 1000000005'; }
    class IncomingRequest { method = 'GET'; url = '/v1/invoices/1000000005'; id = 'req-1'; socket = new Socket(); }
    const { logger, parsed } = capture();
    logger.error({ req: new IncomingRequest(), client: new Socket() }, 'failed');
    expect(parsed()[0]).toEqual(expect.objectContaining({ req: { method: 'GET', url: '/v1/invoices/[digits]', id: 'req-1', remoteAddress: '10.0.0.7' }, client: '[Socket]' }));
  });

  it('leaves amounts, dates, ports and short numbers alone', () => {
    expect(redact('paid 1000.00 on 2026-12-01 at 127.0.0.1:7233, 50000 rows')).toBe('paid 1000.00 on 2026-12-01 at 127.0.0.1:7233, 50000 rows');
  });
});
