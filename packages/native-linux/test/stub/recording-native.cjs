// A stand-in addon for unit tests: records a copy of every op at the moment setDevice is called
// (as the real addon copies it) and resolves at once.
const calls = [];
class NativeBackend {
  setDevice(name, bytes, length) {
    calls.push({ name, bytes: Uint8Array.from(bytes.subarray(0, length)) });
    return Promise.resolve(1);
  }
  close() {
    return Promise.resolve();
  }
}
module.exports = { NativeBackend, abiVersion: 3, calls };
