import { Command, CommanderError, Option } from '@commander-js/extra-typings';
import { type CompletionSources, complete, completionScript, localInterfaces } from './completion.js';
import { type CliContext, createManager, type GlobalOptions } from './context.js';
import { EXIT_CODE_HELP, ExitCode } from './exit-codes.js';

/**
 * Each command's code is loaded when that command runs (the bundle splits them into chunks):
 * `lanrage status` never loads the exporter's HTTP server, doctor's UDP probe or apply's
 * planner, nor the Node.js modules they need, which was most of its start-up.
 */
const commands = {
  apply: () => import('./commands/apply.js'),
  doctor: () => import('./commands/doctor.js'),
  keys: () => import('./commands/keys.js'),
  logs: () => import('./commands/logs.js'),
  metrics: () => import('./commands/metrics.js'),
  peer: () => import('./commands/peer.js'),
  ping: () => import('./commands/ping.js'),
  service: () => import('./commands/service.js'),
  showconf: () => import('./commands/showconf.js'),
  status: () => import('./commands/status.js'),
  upDown: () => import('./commands/up-down.js'),
  watch: () => import('./commands/watch.js'),
};

import { reportError } from './output/errors.js';

const BACKENDS = ['auto', 'kernel', 'userspace'] as const;

/** Builds the command tree; each action stores its exit code in `result`. */
export function buildProgram(ctx: CliContext, result: { code: ExitCode }): Command {
  const program = new Command('lanrage')
    .description('Bring up and manage the WireGuard interface of a LANrage virtual LAN.')
    .version(ctx.version, '-V, --version')
    .option('--config <file>', 'configuration file (default: $LANRAGE_CONFIG or <configDir>/config.json)')
    .option('-i, --interface <name>', "interface name (default: the config's interfaceName, lanrage0)")
    .addOption(new Option('-b, --backend <backend>', 'WireGuard backend').choices(BACKENDS))
    .option('--json', 'print one JSON document on stdout (errors as JSON on stderr)')
    .option('--timeout <seconds>', "bound every wait on wireguard-go and DNS (default: the config's timeout, 10; $LANRAGE_TIMEOUT)")
    .addHelpText('after', `\n${EXIT_CODE_HELP}\n\nPrivate and preshared keys are never taken from the command line or the environment: use files or stdin.`)
    .showSuggestionAfterError(true)
    // Every subcommand's --help lists the global options too (-i, --config, --json ...).
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.io.stdout(s), writeErr: (s) => ctx.io.stderr(s) });

  const globals = (cmd: { optsWithGlobals(): unknown }): GlobalOptions => cmd.optsWithGlobals() as GlobalOptions;
  const run =
    <A extends unknown[]>(fn: (...args: A) => Promise<ExitCode> | ExitCode) =>
    async (...args: A) => {
      result.code = await fn(...args);
    };

  program
    .command('up')
    .description('create or adopt the interface: keys, address, MTU, listen port, link up; restores its saved peers')
    .option('--listen-port <port>', "UDP port (default: the config's listenPort, 51820; kept for later ups)")
    .option('--mtu <bytes>', "MTU (default: the config's mtu, 1420; kept for later ups)")
    .option('--address <ip>', 'this node’s address in the virtual subnet (default: derived from the public key; kept for later ups)')
    .option('--fresh', 'start without the saved peers and settings')
    .action(run(async (o, cmd) => (await commands.upDown()).up(ctx, { ...globals(cmd), ...o })));
  program
    .command('down')
    .description('delete the interface (succeeds if it is already gone)')
    .action(run(async (_o, cmd) => (await commands.upDown()).down(ctx, globals(cmd))));
  program
    .command('forget')
    .description("delete the interface's saved peers, settings and peer names (keys stay; the interface is not touched)")
    .action(run(async (_o, cmd) => (await commands.upDown()).forget(ctx, globals(cmd))));
  program
    .command('status')
    .description('show the interface (-i) and its peers, or every WireGuard interface when none is named; exits 3 when none is up')
    .action(run(async (_o, cmd) => (await commands.status()).status(ctx, globals(cmd))));
  program
    .command('peers')
    .description('one line a peer: name, first allowed IP, endpoint, handshake age, transfer, online or stale')
    .action(run(async (_o, cmd) => (await commands.status()).status(ctx, globals(cmd), true)));

  const peer = program.command('peer').description('add, change or remove one peer');
  const peerOptions = <C extends Command<[string]>>(cmd: C) =>
    cmd
      .option('-e, --endpoint <host:port>', 'the peer’s UDP endpoint')
      .option('-a, --allowed-ips <cidrs>', 'comma-separated prefixes routed to the peer')
      .option('-k, --keepalive <seconds>', 'persistent keepalive in seconds, or off')
      .option('--preshared-key-file <file>', 'read the preshared key from this file (- for stdin)')
      .option('-n, --name <name>', 'a name for the peer, shown by status, watch and metrics');
  peerOptions(
    peer
      .command('add')
      .description('add a peer, or change only the given fields of an existing one (like wg set)')
      .argument('<public-key>')
      .option('--replace', 'make an existing peer exactly what is given (fields not given are reset)'),
  ).action(run(async (key, o, cmd) => (await commands.peer()).peerAdd(ctx, key, { ...globals(cmd), ...o })));
  peerOptions(peer.command('set').description('change an existing peer in place; its session survives').argument('<public-key>')).action(
    run(async (key, o, cmd) => (await commands.peer()).peerSet(ctx, key, { ...globals(cmd), ...o })),
  );
  peer
    .command('show')
    .description('show one peer, by public key or name')
    .argument('<key-or-name>')
    .action(run(async (which, _o, cmd) => (await commands.status()).peerShow(ctx, which, globals(cmd))));
  peer
    .command('remove')
    .description('remove a peer (succeeds if it is not there)')
    .argument('<public-key>')
    .action(run(async (key, _o, cmd) => (await commands.peer()).peerRemove(ctx, key, globals(cmd))));

  program
    .command('ping')
    .description("measure the round trip to a peer's virtual IP through the tunnel")
    .argument('<peer-ip>')
    .option('-c, --count <n>', 'number of probes', '4')
    .option('-W, --wait <ms>', 'wait this long for each reply', '2000')
    .action(run(async (ip, o, cmd) => (await commands.ping()).ping(ctx, ip, { ...globals(cmd), ...o })));

  program
    .command('apply')
    .description('make the interface match a wg-quick file, sending only the differences')
    .argument('<wg-quick.conf>')
    .option('--dry-run', 'print the plan, change nothing')
    .option('--replace-peers', 'replace all peers at once (drops every session)')
    .action(run(async (file, o, cmd) => (await commands.apply()).apply(ctx, file, { ...globals(cmd), ...o })));
  program
    .command('logs')
    .description("lanrage's own records for the interface: each operation, its outcome and duration (never a key)")
    .option('-n, --lines <n>', 'how many of the last records', '20')
    .option('-f, --follow', 'then print new records as they are written, until stopped')
    .action(run(async (o, cmd) => (await commands.logs()).logs(ctx, { ...globals(cmd), ...o })));
  program
    .command('metrics')
    .description('print Prometheus metrics once (wgctrl-exporter names; for the node_exporter textfile collector)')
    .option('--with-allowed-ips', 'label peers with their allowed IPs (reads the whole device)')
    .option('--interfaces <names>', 'comma-separated interfaces to export (default: the -i or configured one)')
    .action(run(async (o, cmd) => (await commands.metrics()).metrics(ctx, { ...globals(cmd), ...o })));
  program
    .command('exporter')
    .description('serve Prometheus metrics (/metrics, /healthz) until stopped')
    .option('--listen <host:port>', 'where to listen', '127.0.0.1:9586')
    .option('--with-allowed-ips', 'label peers with their allowed IPs (reads the whole device)')
    .option('--interfaces <names>', 'comma-separated interfaces to export (default: the -i or configured one)')
    .option('--stale-after <seconds>', 'a peer heard nothing from (no handshake, no bytes) this long is down', '180')
    .option('--probe-latency <seconds>', "measure each peer's round trip this often (off unless given)")
    .action(run(async (o, cmd) => (await commands.metrics()).exporter(ctx, { ...globals(cmd), ...o })));
  program
    .command('watch')
    .description('print peer events as they happen: handshake, endpoint-changed, stale, recovered (until stopped)')
    .option('--interval <seconds>', 'poll this often', '2')
    .option('--stale-after <seconds>', 'a peer heard nothing from (no handshake, no bytes) this long is stale', '180')
    .option('--probe-latency <seconds>', "measure each peer's round trip this often and print latency events (off unless given)")
    .action(run(async (o, cmd) => (await commands.watch()).watch(ctx, { ...globals(cmd), ...o })));
  program
    .command('showconf')
    .description('print the interface as a wg-quick file (like wg showconf); keys only with --show-secrets')
    .option('--show-secrets', 'include the private and preshared keys')
    .option('-o, --output <file>', 'write a new file (mode 0600) instead of standard output')
    .action(run(async (o, cmd) => (await commands.showconf()).showconf(ctx, { ...globals(cmd), ...o })));
  const service = program.command('service').description('run the interface as a systemd service (lanrage@<interface>), restored at boot');
  service
    .command('install')
    .description('write lanrage@.service, reload systemd and enable lanrage@<interface>')
    .option('--now', 'start it now too')
    .option('--no-enable', 'only write the unit file')
    .option('--unit-dir <dir>', 'where to write the unit', '/etc/systemd/system')
    .action(run(async (o, cmd) => (await commands.service()).serviceInstall(ctx, { ...globals(cmd), ...o })));
  service
    .command('show')
    .description('print the unit file that install writes')
    .action(run(async (_o, cmd) => (await commands.service()).serviceShow(ctx, globals(cmd))));
  program
    .command('doctor')
    .description('check that lanrage can run here: platform, privileges, WireGuard, tun, keys, port, config')
    .action(run(async (_o, cmd) => (await commands.doctor()).doctor(ctx, globals(cmd))));
  program
    .command('genkey')
    .description('print a new private key (like wg genkey)')
    .action(run(async () => (await commands.keys()).genkey(ctx)));
  program
    .command('pubkey')
    .description('read a private key on stdin, print its public key (like wg pubkey)')
    .action(run(async () => (await commands.keys()).pubkey(ctx)));
  program
    .command('genpsk')
    .description('print a new preshared key (like wg genpsk)')
    .action(run(async () => (await commands.keys()).genpsk(ctx)));
  program
    .command('completion')
    .description('print a shell completion script')
    .argument('<shell>', 'bash, zsh or fish')
    .action(
      run((shell) => {
        ctx.io.stdout(completionScript(shell));
        return ExitCode.OK;
      }),
    );
  return program;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function runCli(argv: string[], ctx: CliContext): Promise<ExitCode> {
  const result = { code: ExitCode.OK as ExitCode };
  const program = buildProgram(ctx, result);
  // The shells' completion scripts call this with the words typed so far; it is answered before
  // commander parses anything (the words are the user's half-typed command line, not ours).
  if (argv[0] === '__complete') {
    try {
      const out = await complete(program, argv.slice(1), completionSources(ctx));
      if (out.length > 0) ctx.io.stdout(`${out.join('\n')}\n`);
    } catch {
      // a completion never prints an error into the user's prompt
    }
    return ExitCode.OK;
  }
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return result.code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version succeed; help shown because no command was given is a usage error.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return ExitCode.OK;
      if (err.code === 'commander.help' && err.exitCode === 0) return ExitCode.OK; // `lanrage help`
      return ExitCode.USAGE;
    }
    return reportError(ctx.io, err, json);
  }
}

/** Where completion finds interfaces (no privileges needed) and an interface's peer keys (best effort: root). */
function completionSources(ctx: CliContext): CompletionSources {
  return {
    interfaces: localInterfaces,
    peers: async (iface) => {
      const manager = await createManager(ctx, iface === undefined ? {} : { interface: iface }, 'completion');
      let timer: NodeJS.Timeout | undefined;
      try {
        // A Tab must never hang the shell: a device that does not answer in 2 s offers nothing.
        const timeout = new Promise<null>((resolve) => {
          timer = setTimeout(() => resolve(null), 2000);
        });
        const dev = await Promise.race([manager.getDevice(), timeout]);
        if (dev === null) return [];
        dev.privateKey?.wipe();
        return dev.peers.map((p) => {
          p.presharedKey?.wipe();
          return p.publicKey.toBase64();
        });
      } finally {
        clearTimeout(timer);
        await manager.close();
      }
    },
  };
}
