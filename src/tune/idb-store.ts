// The tuner's store in a page: IndexedDB (database 'webgpu-vae', object store 'tune', one record),
// or localStorage where IndexedDB is missing or refuses to open (private modes, some embedders).
import { idbRequest as request, openIdb } from '../io/idb';
import { storageTuneStore, type TuneStore } from './cache';

const DB = 'webgpu-vae';
const STORE = 'tune';
const KEY = 'choices';

/** A store in IndexedDB: the tune document as one string record. */
export async function indexedDbTuneStore(factory: IDBFactory = globalThis.indexedDB): Promise<TuneStore> {
  const db = await openIdb(factory, DB, 1, STORE);
  const tx = (mode: IDBTransactionMode) => db.transaction(STORE, mode).objectStore(STORE);
  return {
    describe: `IndexedDB ${DB}/${STORE}`,
    read: async () => {
      const v = await request(tx('readonly').get(KEY));
      // Anything but a string (a record another version wrote) is handed on as text for the parser to refuse.
      return v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v);
    },
    write: async (text) => { await request(tx('readwrite').put(text, KEY)); },
  };
}

/** The page's store: IndexedDB, else localStorage, else none (choices then hold for the page's life). */
export async function pageTuneStore(warn: (m: string) => void): Promise<TuneStore | null> {
  if (globalThis.indexedDB) {
    try {
      return await indexedDbTuneStore();
    } catch (e) {
      warn(`IndexedDB unavailable (${(e as Error).message}); tuned choices go to localStorage`);
    }
  }
  try {
    if (globalThis.localStorage) return storageTuneStore();
  } catch {
    // localStorage access itself can throw (storage disabled)
  }
  return null;
}
