// One source for the wire format (issue 19): the JS encoder's constants and the addon's come
// from src/codec/wire-format.json through scripts/gen-wire-format.mjs. Fails when a checked-in
// generated file is stale, and shows that a layout change makes a new ABI identity by itself.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../..');
const schemaPath = join(repo, 'packages/native-linux/src/codec/wire-format.json');
const { abiOf } = createRequire(import.meta.url)(join(repo, 'scripts/wire-abi.cjs')) as { abiOf: (s: unknown) => number };

describe('the wire format has one source', () => {
  it('the generated TypeScript and C++ files are what the schema gives (else: node scripts/gen-wire-format.mjs)', () => {
    const r = spawnSync(process.execPath, [join(repo, 'scripts/gen-wire-format.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('a layout change moves the offsets on both sides and makes a new ABI identity; a comment does not', async () => {
    const { generate } = (await import(join(repo, 'scripts/gen-wire-format.mjs'))) as {
      generate: (s: unknown) => { ts: string; hpp: string };
    };
    const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
    const base = generate(schema);
    const wider = structuredClone(schema);
    wider.structs.OpPeer.splice(1, 0, ['reserved', 4]); // a field inserted after the public key
    const moved = generate(wider);
    expect(abiOf(wider)).not.toBe(abiOf(schema));
    expect(moved.ts).toContain('export const OP_PEER_BYTES = 96;');
    expect(moved.ts).toContain('  flags: 88,');
    expect(moved.hpp).toContain('constexpr size_t kFlags = 88;');
    expect(moved.hpp).toContain(`kAbi = 0x${abiOf(wider).toString(16).padStart(8, '0')}u`);
    expect(base.ts).toContain(`WIRE_ABI = 0x${abiOf(schema).toString(16).padStart(8, '0')}`);
    expect(abiOf({ ...schema, $comment: 'reworded' })).toBe(abiOf(schema));
  });

  it('the addon and the encoder name no layout number of their own', () => {
    const codec = readFileSync(join(repo, 'packages/native-linux/src/codec/device_op_codec.cpp'), 'utf8');
    // (the little-endian helper's own byte steps `at + 1..3` are not offsets into a record)
    const encoder = readFileSync(join(repo, 'packages/native-linux/src/encode-op.ts'), 'utf8').replace(/function u32\([\s\S]*?\n}\n/, '');
    // offsets into a record are names from the schema, never `r + 84` or `at + 88`
    expect(codec.match(/\b(?:r|data|e|ip) \+ \d+\b/g) ?? []).toEqual([]);
    expect(encoder.match(/\bat \+ \d+\b|\bx \+ \d+\b/g) ?? []).toEqual([]);
    const addon = readFileSync(join(repo, 'packages/native-linux/src/binding/addon.cpp'), 'utf8');
    expect(addon).toMatch(/abiVersion", Napi::Number::New\(env, static_cast<double>\(wire::kAbi\)\)/);
  });
});
