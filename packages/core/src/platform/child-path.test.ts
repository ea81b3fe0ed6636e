import { describe, expect, it } from 'vitest';
import { childPath } from './child-path.js';

describe('C7 childPath', () => {
  it('joins a plain file name', () => {
    expect(childPath('/run/lanrage', 'lanrage0.pid')).toBe('/run/lanrage/lanrage0.pid');
  });
  it.each(['../x.pid', '..', 'a/b.pid', '/etc/shadow', '', '.'])('refuses %j, which would leave the directory', (name) => {
    expect(() => childPath('/run/lanrage', name)).toThrow(expect.objectContaining({ code: 'INVALID_INTERFACE_NAME' }));
  });
});
