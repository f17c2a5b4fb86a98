import { defineConfig } from 'vite';

// Preact's automatic JSX runtime through esbuild: no framework plugin needed.
export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Hashed file names under /assets/ are what the server serves as immutable.
    assetsDir: 'assets',
    sourcemap: false,
  },
  server: { proxy: { '/v1': { target: 'http://127.0.0.1:8080', ws: true } } },
});
