// Runs once before the test files: builds the library (dist/lib) that the packaging and API-docs
// tests use, so no two test files build it at the same time; and keeps the spawned CLIs from tuning.
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  // The CLIs the tests spawn run the rule's schedules (a run's figures then do not depend on a
  // tuning done by whichever test ran first); test/tune/ and one CLI test there tune explicitly.
  process.env.WEBGPU_VAE_NO_TUNE = '1';
  execFileSync('npm', ['run', 'build', '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
}
