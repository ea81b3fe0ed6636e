export { type MemoryBackendOptions, type MemoryCall, MemoryBackend } from './memory-backend.js';
