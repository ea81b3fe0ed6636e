export { MemoryBackend, type MemoryBackendOptions, type MemoryCall } from './memory-backend.js';
