import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { name: 'native-linux', include: ['src/**/*.test.ts'], testTimeout: 20_000 },
});
