// `npm run bench:node` entry: the same benchmark as `npm run bench -- --node` (Node on Dawn: lavapipe
// here, the GPU where there is one), with the same options (--quick, --driver, --json FILE, ...).
import { main } from './main';

process.exit(await main(['--node', ...process.argv.slice(2)]));
