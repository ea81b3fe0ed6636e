// The ABI identity of the addon's wire format: FNV-1a (32 bits) of the schema's content without
// its comment, so a layout change always makes a new one. Shared by the generator and the test
// stubs (CommonJS: the stubs are loaded with require()).
'use strict';
const { readFileSync } = require('node:fs');

function abiOf(schema) {
  const { $comment, ...content } = schema;
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(JSON.stringify(content), 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function readSchema(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

module.exports = { abiOf, readSchema };
