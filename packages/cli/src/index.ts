/**
 * `lanrage`: the library embedders install. Everything of `@lanrage/core` (NetworkManager,
 * config, keys, validation, errors, wg-quick files), plus what core cannot do as a leaf:
 * picking the backend for this platform from the backend packages this package depends on.
 *
 *   import { createNetworkManager } from 'lanrage';
 *   const manager = await createNetworkManager(); // config from file and environment
 *
 * @packageDocumentation
 * @module lanrage
 */
export * from '@lanrage/core';
export { type CreateNetworkManagerOptions, createNetworkManager } from './library/create-manager.js';
export { type SelectBackendOptions, type Selection, selectBackend } from './library/select-backend.js';
