import { describe, expect, it } from 'vitest';
import { normalizeAllowedIPs } from '../validation/cidr.js';
import { PeerIndex } from './peer-index.js';

const add = (ips: string[], replace = true) => ({
  remove: false,
  updateOnly: false,
  replaceAllowedIPs: replace,
  allowedIPs: normalizeAllowedIPs(ips),
  allowedIPsRemove: [],
});
const remove = { remove: true, updateOnly: false, replaceAllowedIPs: false, allowedIPs: [], allowedIPsRemove: [] };

describe('PeerIndex', () => {
  it('routes only prefixes outside the interface prefix, never /0, once per prefix', () => {
    const ix = new PeerIndex(['10.66.0.7/16']);
    ix.apply('A', add(['10.66.0.2/32', '192.168.1.0/24', '0.0.0.0/0', 'fd00::/64']));
    expect(ix.takeRouteDelta()).toEqual({ add: ['192.168.1.0/24', 'fd00::/64'], remove: [] });
    expect(ix.routes()).toEqual(['192.168.1.0/24', 'fd00::/64']);
    expect(ix.takeRouteDelta()).toEqual({ add: [], remove: [] });
  });

  it('A3 a prefix given to a second peer moves: owner changes, the route stays, the first peer loses it', () => {
    const ix = new PeerIndex(['10.66.0.7/16']);
    ix.apply('A', add(['192.168.1.0/24', '192.168.2.0/24']));
    ix.takeRouteDelta();
    ix.apply('B', add(['192.168.1.0/24']));
    expect(ix.takeRouteDelta()).toEqual({ add: [], remove: [] });
    expect(ix.ownerOf('192.168.1.0/24')).toBe('B');
    expect(ix.allowedIPsOf('A')).toEqual(['192.168.2.0/24']);
    // Removing A now must not take B's route away.
    ix.apply('A', remove);
    expect(ix.takeRouteDelta()).toEqual({ add: [], remove: ['192.168.2.0/24'] });
    ix.apply('B', remove);
    expect(ix.takeRouteDelta()).toEqual({ add: [], remove: ['192.168.1.0/24'] });
    expect(ix.size).toBe(0);
  });

  it('the delta is net: an add and a remove of the same peer in one batch touch no route', () => {
    const ix = new PeerIndex(['10.66.0.7/16']);
    ix.apply('A', add(['192.168.1.0/24']));
    ix.apply('A', remove);
    expect(ix.takeRouteDelta()).toEqual({ add: [], remove: [] });
    ix.apply('A', add(['192.168.1.0/24']));
    ix.takeRouteDelta();
    ix.apply('A', remove);
    ix.apply('B', add(['192.168.1.0/24']));
    expect(ix.takeRouteDelta()).toEqual({ add: [], remove: [] }); // removed and re-added: installed already
  });

  it('update-only skips a missing peer; add (not replace) and single removal keep the rest', () => {
    const ix = new PeerIndex([]);
    ix.apply('A', { ...add(['192.168.1.0/24']), updateOnly: true });
    expect(ix.has('A')).toBe(false);
    ix.apply('A', add(['192.168.1.0/24']));
    ix.apply('A', add(['192.168.2.0/24'], false));
    ix.apply('A', { ...add([], false), allowedIPsRemove: normalizeAllowedIPs(['192.168.1.0/24']) });
    expect(ix.allowedIPsOf('A')).toEqual(['192.168.2.0/24']);
    expect(ix.routes()).toEqual(['192.168.2.0/24']);
  });

  it('against the installed routes: adds what is missing and removes what no peer needs', () => {
    const ix = new PeerIndex(['10.66.0.7/16']);
    ix.addLive('A', ['192.168.1.0/24', '10.66.3.0/24']);
    expect(ix.takeRouteDelta(['192.168.9.0/24'])).toEqual({ add: ['192.168.1.0/24'], remove: ['192.168.9.0/24'] });
  });

  it('clearPeers removes every route', () => {
    const ix = new PeerIndex([]);
    ix.apply('A', add(['192.168.1.0/24']));
    ix.takeRouteDelta();
    ix.clearPeers();
    expect(ix.takeRouteDelta()).toEqual({ add: [], remove: ['192.168.1.0/24'] });
  });
});
