import { describe, expect, it } from 'vitest';
import { LatencyProber, tunnelAddressOf } from './latency-prober.js';

describe('LatencyProber', () => {
  it('probes every target with at most `concurrency` in flight, keeps the last result and forgets removed peers', async () => {
    let inFlight = 0;
    let most = 0;
    let targets = Array.from({ length: 20 }, (_, i) => ({ publicKey: `k${i}`, address: `10.66.0.${i + 2}` }));
    const prober = new LatencyProber(
      async () => targets,
      async (address) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return address.endsWith('.2') ? null : 1.5;
      },
      { concurrency: 4 },
    );
    const seen: string[] = [];
    prober.on('latency', (e) => seen.push(`${e.publicKey}=${e.rttMs}`));
    await prober.round();
    expect(most).toBe(4);
    expect(seen).toHaveLength(20);
    expect(seen).toContain('k0=null');
    expect(prober.last().get('k1')?.rttMs).toBe(1.5);
    targets = targets.slice(1);
    await prober.round();
    expect(prober.last().has('k0')).toBe(false);
    expect(prober.last().size).toBe(19);
  });

  it('reports a failing probe or target list as an error and goes on with the rest', async () => {
    const prober = new LatencyProber(
      async () => [
        { publicKey: 'a', address: '10.0.0.1' },
        { publicKey: 'b', address: '10.0.0.2' },
      ],
      async (address) => {
        if (address === '10.0.0.1') throw new Error('boom');
        return 2;
      },
    );
    const errors: string[] = [];
    prober.on('error', (e) => errors.push(e.message));
    await prober.round();
    expect(errors).toEqual(['boom']);
    expect(prober.last().get('b')?.rttMs).toBe(2);
  });
});

describe('tunnelAddressOf', () => {
  it('is the first host prefix, v4 or v6; subnets only: none', () => {
    expect(tunnelAddressOf(['10.0.0.0/24', '10.66.0.2/32'])).toBe('10.66.0.2');
    expect(tunnelAddressOf(['fd00::2/128'])).toBe('fd00::2');
    expect(tunnelAddressOf(['10.0.0.0/24', '0.0.0.0/0'])).toBeNull();
  });
});
