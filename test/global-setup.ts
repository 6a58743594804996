// Runs once before the test files: builds the library (dist/lib) that the packaging and API-docs
// tests use, so no two test files build it at the same time.
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync('npm', ['run', 'build', '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
}
