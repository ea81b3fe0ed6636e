/**
 * Test doubles for code that drives lanrage: an in-memory backend that behaves as the kernel
 * does (upserts, allowed IPs moving between peers, REPLACE_PEERS, injected failures), and
 * setDeviceConfig for driving any backend with a plain config.
 *
 * @packageDocumentation
 * @module @lanrage/core/testing
 */
export { MemoryBackend, type MemoryBackendOptions, type MemoryCall } from './memory-backend.js';
export { setDeviceConfig } from './set-config.js';
