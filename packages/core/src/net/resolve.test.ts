import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseEndpoint } from '../validation/endpoint.js';
import { resolveEndpoint } from './resolve.js';

const ep = parseEndpoint('relay.example:51820');
const transient = () => Promise.reject(Object.assign(new Error('try again'), { code: 'EAI_AGAIN' }));

afterEach(() => {
  vi.useRealTimers();
});

describe('E5 resolveEndpoint', () => {
  it('a permanent failure (NXDOMAIN) fails at once, as INVALID_ENDPOINT', async () => {
    const lookup = vi.fn(() => Promise.reject(Object.assign(new Error('nx'), { code: 'ENOTFOUND' })));
    await expect(resolveEndpoint(ep, { lookup })).rejects.toMatchObject({ code: 'INVALID_ENDPOINT' });
    expect(lookup).toHaveBeenCalledTimes(1);
  });

  it('transient failures retry with backoff (1 s, growing ×1.2) within the budget, then TIMEOUT with a DNS remedy', async () => {
    vi.useFakeTimers();
    const at: number[] = [];
    const t0 = Date.now();
    const lookup = vi.fn(() => {
      at.push(Date.now() - t0);
      return transient();
    });
    const p = resolveEndpoint(ep, { lookup, timeoutMs: 5000 }).catch((e) => e);
    await vi.advanceTimersByTimeAsync(6000);
    const err = await p;
    expect(at).toEqual([0, 1000, 2200, 3640]);
    expect(err).toMatchObject({ code: 'TIMEOUT' });
    expect(err.remedy).toContain('DNS');
    expect(err.remedy).not.toContain('WireGuard implementation');
  });

  it('an abort cancels a hanging lookup at once, with the signal’s reason; an aborted signal never starts one', async () => {
    const ac = new AbortController();
    const lookup = vi.fn(() => new Promise<never>(() => {}));
    const p = resolveEndpoint(ep, { lookup, signal: ac.signal, timeoutMs: 60_000 });
    const reason = new Error('cleaned up');
    setTimeout(() => ac.abort(reason), 20);
    const t0 = Date.now();
    await expect(p).rejects.toBe(reason);
    expect(Date.now() - t0).toBeLessThan(1000);
    await expect(resolveEndpoint(ep, { lookup, signal: ac.signal })).rejects.toBe(reason);
    expect(lookup).toHaveBeenCalledTimes(1);
  });

  it('an abort during the backoff wait also ends it at once', async () => {
    const ac = new AbortController();
    const p = resolveEndpoint(ep, { lookup: transient, signal: ac.signal });
    setTimeout(() => ac.abort(new Error('stop')), 50);
    const t0 = Date.now();
    await expect(p).rejects.toThrow('stop');
    expect(Date.now() - t0).toBeLessThan(900);
  });
});
