/**
 * A minimal in-memory IndexedDB (IDBFactory subset) for the IndexedDB store's contract test: open with upgrade,
 * one level of object stores with out-of-line keys, put/get/delete/getAllKeys, structured-clone values, and
 * transactions that apply their writes only on commit. failNextCommit() aborts the next readwrite transaction
 * with a QuotaExceededError, as a browser does when a write exceeds the origin's quota (staged writes are dropped).
 * Not a full implementation: no indexes, cursors, key ranges, versions beyond 1, or concurrency rules.
 */
type Key = string;
const DELETED = Symbol('deleted');

class FakeRequest<T = unknown> {
  result!: T;
  error: DOMException | null = null;
  onsuccess: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onupgradeneeded: (() => void) | null = null;
  onblocked: (() => void) | null = null;
}

class FakeTransaction {
  error: DOMException | null = null;
  oncomplete: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  private staged = new Map<Key, unknown>();
  private pending = 0;
  private finished = false;

  constructor(private readonly db: FakeDatabase, private readonly storeName: string, private readonly mode: IDBTransactionMode) {
    setTimeout(() => this.maybeCommit(), 0);
  }

  objectStore(name: string) {
    if (name !== this.storeName) throw new DOMException(`store ${name} is not in this transaction`, 'NotFoundError');
    const committed = this.db.stores.get(name)!;
    const op = <T>(fn: () => T): FakeRequest<T> => {
      const r = new FakeRequest<T>();
      this.pending++;
      setTimeout(() => {
        r.result = fn();
        this.pending--;
        r.onsuccess?.();
        this.maybeCommit();
      }, 0);
      return r;
    };
    const write = () => {
      if (this.mode !== 'readwrite') throw new DOMException('read-only transaction', 'ReadOnlyError');
    };
    const read = (key: Key) => (this.staged.has(key) ? this.staged.get(key) : committed.get(key));
    return {
      put: (value: unknown, key: Key) => {
        write();
        const clone = structuredClone(value);
        return op(() => (this.staged.set(key, clone), key));
      },
      delete: (key: Key) => {
        write();
        return op(() => void this.staged.set(key, DELETED));
      },
      get: (key: Key) => op(() => {
        const v = read(key);
        return v === DELETED || v === undefined ? undefined : structuredClone(v);
      }),
      getAllKeys: () => op(() => [...new Set([...committed.keys(), ...this.staged.keys()])].filter((k) => read(k) !== DELETED).sort()),
    };
  }

  private maybeCommit() {
    if (this.finished || this.pending > 0) return;
    this.finished = true;
    if (this.mode === 'readwrite' && this.db.factory.failing) {
      this.db.factory.failing = false;
      this.error = new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      this.onerror?.();
      this.onabort?.();
      return;
    }
    const store = this.db.stores.get(this.storeName)!;
    for (const [k, v] of this.staged) {
      if (v === DELETED) store.delete(k);
      else store.set(k, v);
    }
    this.oncomplete?.();
  }
}

class FakeDatabase {
  stores = new Map<string, Map<Key, unknown>>();
  objectStoreNames = { contains: (n: string) => this.stores.has(n) };
  constructor(readonly factory: FakeIndexedDb) {}
  createObjectStore(name: string) {
    this.stores.set(name, new Map());
  }
  transaction(name: string, mode: IDBTransactionMode = 'readonly') {
    if (!this.stores.has(name)) throw new DOMException(`no object store ${name}`, 'NotFoundError');
    return new FakeTransaction(this, name, mode);
  }
}

export class FakeIndexedDb {
  failing = false;
  private dbs = new Map<string, FakeDatabase>();

  open(name: string, _version?: number) {
    const r = new FakeRequest<FakeDatabase>();
    setTimeout(() => {
      let db = this.dbs.get(name);
      r.result = db ?? new FakeDatabase(this);
      if (!db) {
        db = r.result;
        this.dbs.set(name, db);
        r.onupgradeneeded?.();
      }
      r.onsuccess?.();
    }, 0);
    return r;
  }

  failNextCommit() {
    this.failing = true;
  }

  asFactory(): IDBFactory {
    return this as unknown as IDBFactory;
  }
}
