/** @lanrage/windows-driver: the Windows backend (filled in by the windows-driver issue). */
export const WINDOWS_DRIVER_PLACEHOLDER = true;
