// `npm run bench` entry: the benchmark suite in headless Chromium (or in Node on Dawn with --node)
// against TensorFlow.js; writes bench-results/<date>.json and .md. See bench/main.ts for the options
// and docs/BENCHMARKS.md for what the figures mean.
//   npm run bench [-- --quick] [-- --node]
import { main } from './main';

// Dawn keeps its event loop alive after the work is done: exit once the results are written.
process.exit(await main(process.argv.slice(2)));
