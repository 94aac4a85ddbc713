import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', 'dist-bench/**'],
    // Deadlines against a hang, not expectations of speed: on two loaded cores a test that starts a
    // child process, a browser or a server took over 30 s (speed is measured in bench/, never here).
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // A test that times out or a worker that dies is reported, not retried: a retry hides a flake.
    retry: 0,
    // Two cores on CI: more workers only fight over them and over SQLite files. Each test file
    // starts its own servers (broker, vsftpd, PostgreSQL, Chromium), so files are isolated processes.
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
  },
});
