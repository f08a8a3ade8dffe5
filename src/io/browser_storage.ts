/**
 * A page's ways to keep a trained model (browser only: DOM and IndexedDB; exported from index.browser.ts, never
 * from the Node entry): download it as a .safetensors file, or store it in the page's IndexedDB and open it on a
 * later visit. The bytes are model_file.ts's: a bare model in the checkpoint format, which `aevb eval`, `aevb
 * sample` and Vae.fromCheckpoint open too.
 *
 * @example
 * await storeModel(trainer, 'mnist-z20');
 * const vae = await loadStoredModel('mnist-z20');    // on a later visit (an error naming the key if none)
 * await downloadModel(vae, 'mnist-z20.safetensors');
 */
import type { Trainer } from '../train/trainer.ts';
import type { Vae, VaeOptions } from '../vae/vae.ts';
import { loadModel, saveModel } from './model_file.ts';

/** The IndexedDB database and object store the models go into, unless told otherwise. */
export const MODEL_DATABASE = 'aevb-models';
const STORE = 'models';

export interface StorageOptions {
  /** The IndexedDB database's name (default MODEL_DATABASE). */
  database?: string;
}

/** Saves the model and has the browser download it as `filename` (default 'model.safetensors'). */
export async function downloadModel(model: Vae | Trainer, filename = 'model.safetensors'): Promise<void> {
  const bytes = await saveModel(model);
  const url = URL.createObjectURL(new Blob([new Uint8Array(bytes)], { type: 'application/octet-stream' }));
  try {
    const link = document.createElement('a');
    link.href = url;
    link.download = filename;
    document.body.append(link);
    link.click();
    link.remove();
  } finally {
    // The click has started the download from the object URL; a later revoke keeps slow browsers from losing it.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
}

/** Saves the model under `key` in IndexedDB (replacing what was there); resolves once the write is committed. */
export async function storeModel(model: Vae | Trainer, key: string, options: StorageOptions = {}): Promise<void> {
  const bytes = await saveModel(model);
  const db = await openDatabase(options.database ?? MODEL_DATABASE);
  try {
    await transactionDone(db, 'readwrite', (store) => store.put(bytes, key), `storing model '${key}'`);
  } finally {
    db.close();
  }
}

/** The model stored under `key`, on `options.gpu` or a device of its own; throws naming the key when there is none. */
export async function loadStoredModel(key: string, options: StorageOptions & VaeOptions = {}): Promise<Vae> {
  const database = options.database ?? MODEL_DATABASE;
  const db = await openDatabase(database);
  let bytes: unknown;
  try {
    await transactionDone(
      db,
      'readonly',
      (store) => {
        const request = store.get(key);
        request.onsuccess = () => (bytes = request.result);
      },
      `reading model '${key}'`,
    );
  } finally {
    db.close();
  }
  if (!(bytes instanceof Uint8Array))
    throw new Error(`aevb: IndexedDB '${database}' holds no model under '${key}' (store one with storeModel)`);
  return loadModel(bytes, { ...options, source: `IndexedDB '${database}', model '${key}'` });
}

/** Removes the model stored under `key` (nothing happens when there is none). */
export async function removeStoredModel(key: string, options: StorageOptions = {}): Promise<void> {
  const db = await openDatabase(options.database ?? MODEL_DATABASE);
  try {
    await transactionDone(db, 'readwrite', (store) => store.delete(key), `removing model '${key}'`);
  } finally {
    db.close();
  }
}

function openDatabase(name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    if (typeof indexedDB === 'undefined')
      return reject(new Error('aevb: this environment has no IndexedDB (model storage is for browser pages)'));
    const request = indexedDB.open(name, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(new Error(`aevb: cannot open IndexedDB '${name}': ${request.error?.message}`));
    request.onblocked = () =>
      reject(new Error(`aevb: IndexedDB '${name}' is blocked by another tab holding an older version open`));
  });
}

/** Runs `work` in one transaction on the models' store; resolves when it commits, rejects naming `what`. */
function transactionDone(
  db: IDBDatabase,
  mode: IDBTransactionMode,
  work: (store: IDBObjectStore) => unknown,
  what: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(STORE, mode);
    const failed = () =>
      reject(new Error(`aevb: ${what} in IndexedDB '${db.name}' failed: ${transaction.error?.message}`));
    transaction.oncomplete = () => resolve();
    transaction.onerror = failed;
    transaction.onabort = failed;
    work(transaction.objectStore(STORE));
  });
}
