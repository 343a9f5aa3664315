import { dropPooledDatabases } from './engine';

// Each test file's pooled MongoDB databases (test/support/engine.ts) are dropped after its last test.
afterAll(() => dropPooledDatabases());
