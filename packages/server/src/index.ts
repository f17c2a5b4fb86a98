/** @natter/server — embed or start a Natter server. */
export { startNatter, openStore, openBus, type NatterServer, type NatterDeps } from './server.js';
export { loadConfig, ConfigError, type Config } from './config.js';
export type { Store } from './store/store.js';
export { SqliteStore } from './store/sqlite/sqlite-store.js';
export { SqliteWorkerStore } from './store/sqlite/worker-store.js';
export type { Bus } from './bus/bus.js';
export { MemoryBus, MemoryBroker } from './bus/memory/memory-bus.js';
