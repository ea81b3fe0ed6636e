import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { name: 'windows-driver', include: ['src/**/*.test.ts'], testTimeout: 20_000 },
});
