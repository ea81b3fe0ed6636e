// The interface-name rule lives twice: validateInterfaceName at the API edge (TypeScript) and
// the addon's check before its fixed-size buffers (C++, N4). They must agree on every name, or
// a name the edge accepts would fail deep in the kernel backend (or the reverse): compared here
// on the anchor cases and on random names, through the built addon (rtnetlink needs no
// WireGuard module: a valid name that does not exist is simply not found).
import { isValidInterfaceName } from '@lanrage/core';
import { expect, it } from 'vitest';
import { describeWith, prerequisites } from '../helpers/prerequisites.js';

describeWith('interface names: the TypeScript rule and the addon’s agree', [prerequisites.addon()], () => {
  it('on the N1-N5 cases and 2,000 random names', async () => {
    const { KernelBackend } = await import('@lanrage/native-linux');
    const links = new KernelBackend().links;
    const addonAccepts = async (name: string) => {
      try {
        await links.findLink(name);
        return true;
      } catch (err) {
        if ((err as { code?: string }).code === 'INVALID_INTERFACE_NAME') return false;
        throw err;
      }
    };
    const cases = [
      '',
      '.',
      '..',
      'wg0',
      'a',
      'x'.repeat(15),
      'x'.repeat(16),
      'ééé',
      'a/b',
      'a:b',
      'a b',
      'wg0\0x',
      '-wg0',
      '--help',
      '-',
      'w-g',
      '.x',
      '=+._-',
    ];
    const alphabet = 'aZ09_=+.-/: \0$é';
    for (let i = 0; i < 2000; i++) {
      const len = 1 + Math.floor(Math.random() * 17);
      cases.push(Array.from({ length: len }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join(''));
    }
    const disagree: string[] = [];
    for (const name of cases) if ((await addonAccepts(name)) !== isValidInterfaceName(name)) disagree.push(JSON.stringify(name));
    expect(disagree).toEqual([]);
  });
});
