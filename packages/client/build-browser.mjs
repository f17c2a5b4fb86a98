// The SDK's browser build (issue 20): one ES module, dist/natter-client.browser.js, with
// @natter/protocol/wire and uuid bundled in, so a page can load it without a bundler:
//   <script type="module">import { NatterClient } from './natter-client.browser.js';</script>
// Bundlers pick it through the "browser" export condition. Run by `npm pack` (prepack) and by
// the packaging test; it reads the TypeScript build in dist/.
import { build } from 'esbuild';

await build({
  absWorkingDir: import.meta.dirname,
  entryPoints: ['dist/index.js'],
  outfile: 'dist/natter-client.browser.js',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: false,
  legalComments: 'inline',
  logLevel: 'warning',
});
