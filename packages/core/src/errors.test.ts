import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_REMEDIES, fromSystemError, LanrageError } from './errors.js';

const doc = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../../docs/troubleshooting.md'), 'utf8');

describe('LanrageError', () => {
  it('docs/troubleshooting.md lists exactly the codes, each with a cause and the remedy the code uses', () => {
    const sections = [...doc.matchAll(/^## ([A-Z_]+)\n\n- \*\*Cause:\*\* (.+)\n- \*\*Remedy:\*\* (.+)$/gm)];
    expect(sections.map((m) => m[1]).sort()).toEqual(Object.keys(ERROR_REMEDIES).sort());
    for (const m of sections) expect(m[3]).toBe(ERROR_REMEDIES[m[1] as keyof typeof ERROR_REMEDIES]);
  });

  it('carries code, remedy, errno, syscall, extack and details; toJSON is secret-free data', () => {
    const e = new LanrageError('PERMISSION_DENIED', 'no', { errno: 1, syscall: 'sendmsg', extack: 'nope', details: { a: 1 } });
    expect(e).toBeInstanceOf(Error);
    expect(e.toJSON()).toEqual({
      code: 'PERMISSION_DENIED',
      message: 'no',
      remedy: ERROR_REMEDIES.PERMISSION_DENIED,
      errno: 1,
      syscall: 'sendmsg',
      extack: 'nope',
      details: { a: 1 },
    });
  });

  it('maps system errors', () => {
    expect(fromSystemError(Object.assign(new Error('x'), { code: 'EACCES' }), 'open').code).toBe('PERMISSION_DENIED');
    expect(fromSystemError(Object.assign(new Error('x'), { code: 'EADDRINUSE' }), 'bind').code).toBe('PORT_IN_USE');
    expect(fromSystemError(Object.assign(new Error('x'), { code: 'EIO' }), 'write').code).toBe('IO_ERROR');
  });
});
