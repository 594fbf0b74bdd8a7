// The pure rules of who an operator is (domain/operator-roles.ts) and where the CLI finds its token
// (infra/operator-credential.ts): four eyes refuses each bypass; a token file others can read is refused.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fourEyesRefusal } from '../../domain/operator-roles';
import { operatorCredentialFromEnv, writeTokenFile } from '../../infra/operator-credential';

describe('four eyes', () => {
  const approve = (decider: string, role: string | undefined, proposer = 'alice', complaintRaisedBy?: string) =>
    fourEyesRefusal({ decider, approve: true, role, proposer, complaintRaisedBy });

  it('lets a supervisor or an admin other than the proposer approve', () => {
    expect(approve('bob', 'supervisor')).toBeUndefined();
    expect(approve('bob', 'admin')).toBeUndefined();
    expect(approve('bob', 'supervisor', 'spc', 'carol')).toBeUndefined();
  });

  it('refuses the proposer in any case, the SPC itself, the complainant of an SPC proposal and a role that does not approve', () => {
    expect(approve('alice', 'admin')).toBe('SELF_APPROVAL');
    expect(approve('Alice', 'admin')).toBe('SELF_APPROVAL');
    expect(approve(' ALICE ', 'admin', 'alice')).toBe('SELF_APPROVAL');
    expect(approve('spc', 'admin', 'alice')).toBe('RESERVED_OPERATOR');
    expect(approve('Spc', 'admin', 'alice')).toBe('RESERVED_OPERATOR');
    expect(approve('carol', 'supervisor', 'spc', 'carol')).toBe('COMPLAINANT_APPROVAL');
    expect(approve('Carol', 'supervisor', 'spc', 'carol')).toBe('COMPLAINANT_APPROVAL');
    expect(approve('bob', 'operator')).toBe('ROLE_MAY_NOT_APPROVE');
    expect(approve('bob', 'auditor')).toBe('ROLE_MAY_NOT_APPROVE');
    expect(approve('bob', undefined)).toBe('ROLE_MAY_NOT_APPROVE');
    expect(approve('bob', 'toString')).toBe('ROLE_MAY_NOT_APPROVE');
  });

  it('lets another operator reject, but never the proposer or the SPC', () => {
    expect(fourEyesRefusal({ decider: 'bob', approve: false, role: 'operator', proposer: 'alice' })).toBeUndefined();
    expect(fourEyesRefusal({ decider: 'ALICE', approve: false, role: 'admin', proposer: 'alice' })).toBe('SELF_APPROVAL');
    expect(fourEyesRefusal({ decider: 'spc', approve: false, role: 'admin', proposer: 'alice' })).toBe('RESERVED_OPERATOR');
  });
});

describe('the CLI credential', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spc-cred-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('prefers SPC_OPERATOR_TOKEN, then the named file, then the config dir, then the data dir', () => {
    const data = path.join(dir, 'data');
    writeTokenFile(path.join(data, 'operator-token'), 'from-data');
    expect(operatorCredentialFromEnv({ XDG_CONFIG_HOME: dir }, data)).toMatchObject({ token: 'from-data' });
    writeTokenFile(path.join(dir, 'spc', 'operator-token'), 'from-config');
    expect(operatorCredentialFromEnv({ XDG_CONFIG_HOME: dir }, data)).toMatchObject({ token: 'from-config' });
    writeTokenFile(path.join(dir, 'named'), 'from-named');
    expect(operatorCredentialFromEnv({ XDG_CONFIG_HOME: dir, SPC_OPERATOR_TOKEN_FILE: path.join(dir, 'named') }, data)).toMatchObject({ token: 'from-named' });
    expect(operatorCredentialFromEnv({ XDG_CONFIG_HOME: dir, SPC_OPERATOR_TOKEN: ' from-env ' }, data)).toEqual({ token: 'from-env', source: 'SPC_OPERATOR_TOKEN' });
    expect(fs.statSync(path.join(dir, 'named')).mode & 0o777).toBe(0o600);
  });

  it('refuses a token file others can read, and has nothing without any', () => {
    const file = path.join(dir, 'token');
    fs.writeFileSync(file, 'secret\n');
    fs.chmodSync(file, 0o640);
    const credential = operatorCredentialFromEnv({ SPC_OPERATOR_TOKEN_FILE: file }, dir);
    expect(credential.token).toBeUndefined();
    expect(credential.problem).toContain('readable by others (mode 640)');
    expect(operatorCredentialFromEnv({ XDG_CONFIG_HOME: dir }, path.join(dir, 'none'))).toEqual({ source: expect.stringContaining('operator-token') });
  });
});
