/**
 * The real fake-indexeddb package with an injected full quota: after failNextPut(), the next put() request succeeds
 * and then its transaction aborts with a QuotaExceededError, which is what a browser does when the commit does not
 * fit the origin's quota (the write is checked at commit, the staged put is rolled back, tx.error is set).
 * It patches fake-indexeddb's IDBObjectStore.prototype.put once per process; only armed puts are affected.
 */
import { IDBFactory, IDBObjectStore } from 'fake-indexeddb';

let armed = 0;
let patched = false;

function patch(): void {
  if (patched) return;
  patched = true;
  const proto = IDBObjectStore.prototype as unknown as { put: (this: IDBObjectStore, ...a: unknown[]) => IDBRequest };
  const put = proto.put;
  proto.put = function (this: IDBObjectStore, ...args: unknown[]) {
    const req = put.apply(this, args);
    if (armed > 0) {
      armed--;
      const tx = this.transaction as unknown as { _abort(name: string): void };
      req.addEventListener('success', () => tx._abort('QuotaExceededError'));
    }
    return req;
  };
}

export function quotaIdb(): { factory: IDBFactory; failNextPut(): void } {
  patch();
  return { factory: new IDBFactory(), failNextPut: () => void armed++ };
}
