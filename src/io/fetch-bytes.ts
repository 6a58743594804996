// Bytes from a URL with a ceiling: a checkpoint (GpuVae.load takes them) or a data file, read as a
// stream that stops at maxBytes, with errors that name the URL, what it answered and what was expected.
// Cancellation through an AbortSignal rejects with the signal's reason, as fetch does.

export interface LoadFromUrlOptions {
  signal?: AbortSignal;
  /** The most bytes to accept (default 256 MiB); a larger Content-Length or body is refused. */
  maxBytes?: number;
  /** The fetch to use (default globalThis.fetch), e.g. one with credentials or a cache. */
  fetch?: typeof fetch;
  /** What the bytes are, for messages (default 'loadFromUrl'). */
  what?: string;
}

export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

/** The body of `url` as bytes, refused past `maxBytes` (checked on Content-Length and while reading). */
export async function loadFromUrl(url: string | URL, options: LoadFromUrlOptions = {}): Promise<Uint8Array> {
  const what = options.what ?? 'loadFromUrl';
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new Error(`${what}: maxBytes must be a non-negative integer, got ${maxBytes}`);
  const doFetch = options.fetch ?? globalThis.fetch;
  if (typeof doFetch !== 'function') throw new Error(`${what}: no fetch in this environment; pass options.fetch`);
  const shown = String(url);
  let response: Response;
  try {
    response = await doFetch(url, { signal: options.signal });
  } catch (e) {
    if (options.signal?.aborted) throw options.signal.reason;
    throw new Error(`${what}: could not fetch ${shown}: ${(e as Error).message} (offline, a wrong address, or a cross-origin server without CORS headers)`);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw new Error(`${what}: ${shown} answered ${response.status} ${response.statusText}; expected 200 with the file's bytes`);
  }
  const header = response.headers.get('content-length');
  const declared = header !== null && /^\d+$/.test(header) ? Number(header) : undefined;
  if (declared !== undefined && declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw new Error(`${what}: ${shown} is ${declared} bytes (Content-Length), more than maxBytes ${maxBytes}; pass a larger maxBytes if it is meant`);
  }
  const bytes = await readBounded(response, maxBytes, options.signal, () =>
    `${what}: ${shown} sent more than maxBytes ${maxBytes} bytes${declared !== undefined ? ` (its Content-Length said ${declared})` : ''}; the rest was not read`,
  (n) => `${what}: ${shown} broke off after ${n} bytes${declared !== undefined ? ` of its ${declared} (Content-Length)` : ''}`);
  // A body shorter than its Content-Length was cut off (a compressed body's length is not the decoded one).
  if (declared !== undefined && bytes.length < declared && !response.headers.get('content-encoding')) {
    throw new Error(`${what}: ${shown} ended after ${bytes.length} of its ${declared} bytes (Content-Length): the download was cut short`);
  }
  return bytes;
}

async function readBounded(response: Response, maxBytes: number, signal: AbortSignal | undefined, tooBig: () => string, broke: (n: number) => string): Promise<Uint8Array> {
  if (!response.body) {
    const whole = new Uint8Array(await response.arrayBuffer());
    if (whole.length > maxBytes) throw new Error(tooBig());
    return whole;
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        throw new Error(tooBig());
      }
      chunks.push(value);
    }
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    if (e instanceof Error && e.message === tooBig()) throw e;
    throw new Error(`${broke(total)}: ${(e as Error).message}`);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.length; }
  return out;
}
