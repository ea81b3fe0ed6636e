export { MemoryBackend, type MemoryBackendOptions, type MemoryCall } from './memory-backend.js';
export { setDeviceConfig } from './set-config.js';
