// Checkpoint bytes in the page's IndexedDB (database 'webgpu-vae-models', object store
// 'checkpoints', one record per name), and the promise wrappers over IndexedDB requests that the
// tuner's store shares. A save replaces a record in one transaction: a failed one leaves the old.

export interface IndexedDbOptions {
  /** Database name (default 'webgpu-vae-models'). */
  database?: string;
  /** The IndexedDB to use (default globalThis.indexedDB). */
  factory?: IDBFactory;
}

const DEFAULT_DB = 'webgpu-vae-models';
const STORE = 'checkpoints';
const RECORD_FORMAT = 'webgpu-vae bytes 1';

interface StoredRecord { format: string; bytes: Uint8Array; savedAt: string }

/** A request's result as a promise. */
export function idbRequest<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

/** Opens `name` at `version`, creating `store` when it is new. */
export function openIdb(factory: IDBFactory, name: string, version: number, store: string): Promise<IDBDatabase> {
  const r = factory.open(name, version);
  r.onupgradeneeded = () => { if (!r.result.objectStoreNames.contains(store)) r.result.createObjectStore(store); };
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB open failed'));
    r.onblocked = () => reject(new Error(`IndexedDB ${name} is blocked: another tab holds an older version open`));
  });
}

function factoryOf(options: IndexedDbOptions, what: string): IDBFactory {
  const factory = options.factory ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!factory) {
    throw new Error(`${what}: IndexedDB is not available here (Node has none; some private windows and embedded views hide it); ` +
      'keep the bytes another way (a file with fs.writeFile in Node)');
  }
  return factory;
}

async function withStore<T>(options: IndexedDbOptions, what: string, mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openIdb(factoryOf(options, what), options.database ?? DEFAULT_DB, 1, STORE);
  try {
    const tx = db.transaction(STORE, mode);
    const result = idbRequest(fn(tx.objectStore(STORE)));
    result.catch(() => {}); // its error also aborts the transaction, which is what is reported
    // Resolved once the transaction is committed, so a saved record is on disk when the promise is.
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    });
    return await result;
  } finally {
    db.close();
  }
}

function checkName(name: unknown, what: string): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) throw new Error(`${what}: the name must be a non-empty string, got ${JSON.stringify(name)}`);
}

/** Stores `bytes` (e.g. `await vae.save()`) under `name`, replacing what was there once the write commits. */
export async function saveToIndexedDB(name: string, bytes: Uint8Array, options: IndexedDbOptions = {}): Promise<void> {
  const what = 'saveToIndexedDB';
  checkName(name, what);
  if (!(bytes instanceof Uint8Array)) throw new Error(`${what}: expected the bytes as a Uint8Array (what GpuVae.save() gives), got ${Object.prototype.toString.call(bytes)}`);
  const record: StoredRecord = { format: RECORD_FORMAT, bytes: bytes.slice(), savedAt: new Date().toISOString() };
  try {
    await withStore(options, what, 'readwrite', (s) => s.put(record, name));
  } catch (e) {
    const quota = (e as DOMException)?.name === 'QuotaExceededError' ? ' (the browser\'s storage quota is full)' : '';
    throw new Error(`${what}: could not store ${bytes.length} bytes as ${JSON.stringify(name)}${quota}: ${(e as Error).message}; what was saved under that name before is kept`);
  }
}

/** The bytes saved under `name`; an error listing the saved names when there is none. */
export async function loadFromIndexedDB(name: string, options: IndexedDbOptions = {}): Promise<Uint8Array> {
  const what = 'loadFromIndexedDB';
  checkName(name, what);
  const record = await withStore<unknown>(options, what, 'readonly', (s) => s.get(name));
  if (record === undefined) {
    const names = await listInIndexedDB(options);
    throw new Error(`${what}: nothing is saved as ${JSON.stringify(name)} in IndexedDB ${options.database ?? DEFAULT_DB}; ` +
      `saved: ${names.length ? names.map((n) => JSON.stringify(n)).join(', ') : 'none'}`);
  }
  const r = record as Partial<StoredRecord> | null;
  if (!r || r.format !== RECORD_FORMAT || !(r.bytes instanceof Uint8Array)) {
    throw new Error(`${what}: the record ${JSON.stringify(name)} was not written by saveToIndexedDB (format ${JSON.stringify(r?.format)}; expected ${JSON.stringify(RECORD_FORMAT)} with its bytes)`);
  }
  return r.bytes;
}

/** The names saved, in key order. */
export async function listInIndexedDB(options: IndexedDbOptions = {}): Promise<string[]> {
  const keys = await withStore(options, 'listInIndexedDB', 'readonly', (s) => s.getAllKeys());
  return keys.map(String);
}

/** Removes `name`; resolves to whether it was there. */
export async function deleteFromIndexedDB(name: string, options: IndexedDbOptions = {}): Promise<boolean> {
  const what = 'deleteFromIndexedDB';
  checkName(name, what);
  // One transaction: the count, then the delete, in order.
  const count = await withStore(options, what, 'readwrite', (s) => {
    const c = s.count(name);
    s.delete(name);
    return c;
  });
  return count > 0;
}
