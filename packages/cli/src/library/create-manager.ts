import { type LanrageConfig, type Logger, loadConfig, NetworkManager } from '@lanrage/core';
import { type SelectBackendOptions, selectBackend } from './select-backend.js';

export interface CreateNetworkManagerOptions extends SelectBackendOptions {
  /** The manager's Logger, given to the backend too (both log to one place). */
  logger?: Logger;
  /** Check root / CAP_NET_ADMIN before touching the system (default: for kernel and userspace backends). */
  checkPrivileges?: boolean;
  /** Keep the peers in this file and restore them at initialize (see NetworkManagerOptions.statePath). */
  statePath?: string;
}

/**
 * The embedder's entry: loads the configuration (file, environment) unless given, picks the
 * backend and link control for this platform (see selectBackend), and returns a manager on
 * it. What was chosen, and why, is on `manager.backendSelection` (`kind`, `reason`,
 * `linkControl`) and in `initialize()`'s result.
 */
export async function createNetworkManager(config?: LanrageConfig, options: CreateNetworkManagerOptions = {}): Promise<NetworkManager> {
  const cfg = config ?? (await loadConfig());
  const selection = await selectBackend(cfg, options);
  return new NetworkManager(cfg, {
    backend: selection.backend,
    backendReason: selection.reason,
    linkControl: selection.linkControl,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.checkPrivileges !== undefined ? { checkPrivileges: options.checkPrivileges } : {}),
    ...(options.statePath !== undefined ? { statePath: options.statePath } : {}),
  });
}
