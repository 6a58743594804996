// Headless Chromium with WebGPU on SwiftShader, and a Vite dev server that serves the project to it:
// the launcher the browser tests and benchmarks share. Runs in Node only.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser } from 'puppeteer-core';
import { createServer } from 'vite';

/** The project root (where vite.config.ts lives). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const KNOWN_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

const INSTALL_HINT =
  'install Chromium with `apt-get install chromium` (or run scripts/setup-system.sh), ' +
  'or set CHROMIUM_PATH (or PUPPETEER_EXECUTABLE_PATH) to a Chrome/Chromium binary';

/** Chromium flags for WebGPU on SwiftShader (no GPU, no network chatter, no sandbox in containers). */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-webgpu-adapter=swiftshader',
  '--enable-unsafe-swiftshader',
];

/** The browser to launch: $CHROMIUM_PATH, $PUPPETEER_EXECUTABLE_PATH, else a known system path. */
export function findChromium(): string {
  for (const name of ['CHROMIUM_PATH', 'PUPPETEER_EXECUTABLE_PATH'] as const) {
    const path = process.env[name];
    if (!path) continue;
    if (!existsSync(path)) throw new Error(`No Chromium for the browser tests: ${name} is set to ${path}, but no file is there; ${INSTALL_HINT}.`);
    return path;
  }
  const found = KNOWN_PATHS.find((p) => existsSync(p));
  if (found) return found;
  throw new Error(`No Chromium found for the browser tests (looked in ${KNOWN_PATHS.join(', ')}): ${INSTALL_HINT}.`);
}

export interface LaunchedChromium {
  browser: Browser;
  executablePath: string;
  /** Closes the browser and removes its temporary profile; safe to call twice. */
  close(): Promise<void>;
}

/** Launches headless Chromium with CHROMIUM_ARGS and a fresh temporary profile. */
export async function launchChromium(options: { extraArgs?: string[] } = {}): Promise<LaunchedChromium> {
  const executablePath = findChromium();
  const profile = await mkdtemp(join(tmpdir(), 'webgpu-vae-chromium-'));
  let browser: Browser;
  try {
    browser = await puppeteer.launch({
      executablePath,
      headless: true,
      args: [...CHROMIUM_ARGS, `--user-data-dir=${profile}`, ...(options.extraArgs ?? [])],
    });
  } catch (e) {
    await rm(profile, { recursive: true, force: true });
    throw new Error(`could not launch ${executablePath}: ${(e as Error).message}`);
  }
  let closed = false;
  return {
    browser,
    executablePath,
    async close() {
      if (closed) return;
      closed = true;
      try {
        await browser.close();
      } finally {
        await rm(profile, { recursive: true, force: true, maxRetries: 3 });
      }
    },
  };
}

export interface DevServer {
  /** Base URL with a trailing slash, e.g. http://127.0.0.1:41234/ */
  url: string;
  close(): Promise<void>;
}

/** Starts the project's Vite dev server (vite.config.ts) on a free port of 127.0.0.1. */
export async function startViteServer(): Promise<DevServer> {
  const server = await createServer({
    root: PROJECT_ROOT,
    configFile: join(PROJECT_ROOT, 'vite.config.ts'),
    logLevel: 'warn',
    clearScreen: false,
    server: { port: 0, strictPort: false, host: '127.0.0.1', hmr: false, watch: null },
  });
  await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') {
    await server.close();
    throw new Error('vite dev server did not report a TCP address');
  }
  let closed = false;
  return {
    url: `http://127.0.0.1:${address.port}/`,
    async close() {
      if (closed) return;
      closed = true;
      await server.close();
    },
  };
}
