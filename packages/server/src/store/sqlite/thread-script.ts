/**
 * Where a SQLite thread's module is. Under vitest the store runs from src/*.ts, which a thread
 * cannot load: then the compiled one in dist/ is used (`npm test` builds before it tests).
 */
export function threadScript(name: 'store-worker' | 'checkpointer' | 'search-indexer-thread'): URL {
  const self = import.meta.url;
  if (self.endsWith('/src/store/sqlite/thread-script.ts')) return new URL(self.replace(/\/src\/store\/sqlite\/thread-script\.ts$/, `/dist/store/sqlite/${name}.js`));
  return new URL(`./${name}.js`, self);
}
