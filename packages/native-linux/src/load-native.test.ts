import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MIN_NAPI, unsupportedNode } from './load-native.js';

describe('the loader on an unsupported Node.js', () => {
  const v = (node: string, napi: string) => ({ ...process.versions, node, napi });

  it('names the version and what is supported', () => {
    expect(unsupportedNode(v('18.20.4', '9'))).toBe('Node.js 18.20.4: older than 20.19, the oldest this package supports');
    expect(unsupportedNode(v('20.18.0', '9'))).toContain('older than 20.19');
    expect(unsupportedNode(v('20.19.0', '7'))).toBe('Node.js 20.19.0: Node-API 7 is older than the 8 the addon needs');
    expect(unsupportedNode(v('20.19.0', '9'))).toBeNull();
    expect(unsupportedNode(v('26.0.0', '10'))).toBeNull();
    expect(unsupportedNode()).toBeNull(); // this one
  });

  it('asks for the Node-API version the addon is built against (CMakeLists.txt)', () => {
    const cmake = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../CMakeLists.txt'), 'utf8');
    expect(Number(/NAPI_VERSION=(\d+)/.exec(cmake)?.[1])).toBe(MIN_NAPI);
  });
});
