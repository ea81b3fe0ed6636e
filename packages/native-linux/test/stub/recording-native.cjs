// A stand-in addon for unit tests: records a copy of every op at the moment setDevice is called
// (as the real addon copies it) and resolves at once; records route calls and link lookups.
// A link named lrt-missing does not exist (ENODEV, as the addon rejects). A set on lrt-partial
// fails after its first message (2 peer operations applied: EINVAL, as a kernel refusing a later
// message); one on lrt-nomodule fails the family lookup (ENOENT: no wireguard module).
const calls = [];
// What listRoutes resolves with.
const routes = [];
// The addon refuses a name its buffers cannot take before anything else, synchronously (N4).
const nameArg = (name) => {
  if (typeof name !== 'string' || !/^[a-zA-Z0-9_=+.][a-zA-Z0-9_=+.-]{0,14}$/.test(name) || name === '.' || name === '..') {
    throw Object.assign(new TypeError('invalid interface name'), { code: 'INVALID_INTERFACE_NAME' });
  }
};
const noDevice = (name) => Object.assign(new Error(`no link ${name}: No such device`), { code: 'ENODEV', errno: 19, syscall: 'netlink' });
class NativeBackend {
  setDevice(name, bytes, length) {
    nameArg(name);
    calls.push({ name, bytes: Uint8Array.from(bytes.subarray(0, length)) });
    if (name === 'lrt-partial') {
      return Promise.reject(
        Object.assign(new Error('Invalid argument'), { code: 'EINVAL', errno: 22, syscall: 'netlink', appliedMessages: 1, appliedPeers: 2 }),
      );
    }
    if (name === 'lrt-nomodule') {
      return Promise.reject(
        Object.assign(new Error('resolving the wireguard family: No such file or directory'), { code: 'ENOENT', errno: 2, syscall: 'netlink' }),
      );
    }
    return Promise.resolve(1);
  }
  getLink(name) {
    nameArg(name);
    calls.push({ name, getLink: true });
    return name === 'lrt-missing' ? Promise.reject(noDevice(name)) : Promise.resolve({ index: 7, name, kind: 'wireguard', mtu: 1420, up: true });
  }
  listRoutes(name) {
    nameArg(name);
    calls.push({ name, listRoutes: true });
    return Promise.resolve(routes);
  }
  changeRoutes(name, add, remove) {
    nameArg(name);
    calls.push({ name, add, remove });
    return name === 'lrt-missing' ? Promise.reject(noDevice(name)) : Promise.resolve();
  }
  close() {
    return Promise.resolve();
  }
}
// The ABI identity the real addon exports: computed from the same schema.
const { join } = require('node:path');
const { abiOf, readSchema } = require('../../../../scripts/wire-abi.cjs');
const abiVersion = abiOf(readSchema(join(__dirname, '../../src/codec/wire-format.json')));

module.exports = { NativeBackend, abiVersion, calls, routes };
