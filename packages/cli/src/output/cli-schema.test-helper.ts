import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/** docs/cli-json.schema.json, compiled once: tests validate every --json document against its command's $defs entry. */
const schema = JSON.parse(readFileSync(join(import.meta.dirname, '../../../../docs/cli-json.schema.json'), 'utf8'));
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
ajv.addSchema(schema);

/** Throws with ajv's errors unless `doc` is a valid `def` document (`up`, `status`, `error`, ...). */
export function assertSchema(def: string, doc: unknown): void {
  const validate = ajv.getSchema(`urn:lanrage:cli-json:1#/$defs/${def}`);
  if (!validate) throw new Error(`no $defs/${def} in docs/cli-json.schema.json`);
  if (!validate(doc))
    throw new Error(`--json output does not match $defs/${def}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(doc, null, 2).slice(0, 2000)}`);
  // and the top-level schema accepts it as one of the documents (watch lines are not top-level)
  if (!LINES.has(def)) {
    const top = ajv.getSchema('urn:lanrage:cli-json:1');
    if (!top?.(doc)) throw new Error(`--json output matches $defs/${def} but not exactly one top-level document: ${ajv.errorsText(top?.errors)}`);
  }
}

/** Documents printed one per line (each line validated on its own). */
const LINES = new Set(['logRecord', 'watchEvent', 'watchError']);

/** The $defs entry of a command line's --json document (null: the command prints none). */
export function defFor(argv: readonly string[], env: Record<string, string | undefined> = {}): string | null {
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '-i' || a === '--interface' || a === '--config' || a === '-b' || a === '--backend') i++;
    else if (!a.startsWith('-')) words.push(a);
  }
  const named = argv.includes('-i') || argv.includes('--interface') || env.LANRAGE_INTERFACE !== undefined;
  const [cmd, sub] = words;
  switch (cmd) {
    case 'up':
    case 'down':
    case 'peers':
    case 'ping':
    case 'apply':
    case 'doctor':
    case 'forget':
      return cmd;
    case 'status':
      return named ? 'status' : 'statusAll';
    case 'peer':
      return sub === 'add' ? 'peerAdd' : sub === 'show' ? 'peerShow' : sub === 'set' || sub === 'remove' ? 'peerSetOrRemove' : null;
    case 'service':
      return sub === 'install' ? 'serviceInstall' : null;
    case 'logs':
      return 'logRecord';
    case 'watch':
      return 'watchEvent';
    default:
      return null;
  }
}

/**
 * Checks what a `--json` run printed: the command's document on stdout (if any), a JSON error
 * document on stderr when it failed with one. Returns the stdout document.
 */
export function assertJsonRun(argv: readonly string[], out: { stdout: string; stderr: string }, env: Record<string, string | undefined> = {}): unknown {
  if (!argv.includes('--json')) return undefined;
  const def = defFor(argv, env);
  let doc: unknown;
  if (out.stdout.trim() !== '') {
    if (!def) throw new Error(`lanrage ${argv.join(' ')} printed JSON, but the schema has no document for it`);
    if (LINES.has(def)) {
      doc = out.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      for (const d of doc as unknown[]) assertSchema(def, d);
    } else {
      doc = JSON.parse(out.stdout);
      assertSchema(def, doc);
    }
  }
  const err = out.stderr.trim();
  if (err.startsWith('{')) {
    // watch reports a failed poll as a line of its own; everything else as one error document
    if (def === 'watchEvent') for (const l of err.split('\n')) assertSchema('watchError', JSON.parse(l));
    else assertSchema('error', JSON.parse(err));
  }
  return doc;
}
