/**
 * The ONE contract every CheckpointStore passes (memory, filesystem, IndexedDB): round trip bit for bit with JSON
 * meta, copies in and out, overwrite, list, delete, name validation, and atomicity: a save that fails (a malformed
 * tensor, or an injected write failure such as QuotaExceededError) leaves the previous checkpoint intact.
 */
import { describe, expect, it } from 'vitest';
import type { Checkpoint, CheckpointStore } from '../../src/train/checkpoint';

export interface StoreUnderTest {
  store: CheckpointStore;
  /** Makes the next save fail inside the store's write (after validation), if the store can simulate that. */
  failNextWrite?: () => void;
  cleanup?: () => Promise<void>;
}

function sample(tag: number): Checkpoint {
  return {
    meta: { step: tag, config: { lr: 3e-4, betas: [0.9, 0.999], scheduler: 'cosine' }, cursor: { epoch: 1, pos: [3, null] }, note: 'naïve ✓' },
    tensors: {
      'param/layers.0.q.w': { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 1e-38, -0, 3.4e38].map((x) => x * tag)) },
      'adam_v/layers.0.q.w': { shape: [6], data: new Float32Array(6).fill(tag / 3) },
      scalar: { shape: [], data: Float32Array.of(tag) },
    },
  };
}

function expectSame(got: Checkpoint | null, want: Checkpoint) {
  expect(got).not.toBeNull();
  expect(got!.meta).toEqual(want.meta);
  expect(Object.keys(got!.tensors).sort()).toEqual(Object.keys(want.tensors).sort());
  for (const [k, t] of Object.entries(want.tensors)) {
    expect(got!.tensors[k].shape, k).toEqual(t.shape);
    expect(got!.tensors[k].data).toBeInstanceOf(Float32Array);
    expect(new Uint8Array(got!.tensors[k].data.buffer, got!.tensors[k].data.byteOffset, t.data.byteLength), k).toEqual(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
}

export function checkpointStoreContract(label: string, make: () => Promise<StoreUnderTest>): void {
  describe(`CheckpointStore contract: ${label}`, () => {
    const withStore = (fn: (s: StoreUnderTest) => Promise<void>) => async () => {
      const s = await make();
      try {
        await fn(s);
      } finally {
        await s.cleanup?.();
      }
    };

    it('round-trips meta and tensors bit for bit; missing names load as null', withStore(async ({ store }) => {
      expect(await store.list()).toEqual([]);
      expect(await store.load('step-00000001')).toBeNull();
      const c = sample(1);
      await store.save('step-00000001', c);
      expectSame(await store.load('step-00000001'), c);
    }));

    it('stores copies: changing what was saved or loaded does not change the store', withStore(async ({ store }) => {
      const c = sample(2);
      await store.save('a', c);
      c.tensors.scalar.data[0] = 99;
      (c.meta as { step: number }).step = 99;
      const got = (await store.load('a'))!;
      got.tensors.scalar.data[0] = 77;
      expectSame(await store.load('a'), sample(2));
    }));

    it('overwrites by name, lists sorted names once, deletes (absent: no-op)', withStore(async ({ store }) => {
      await store.save('step-00000010', sample(1));
      await store.save('step-00000002', sample(2));
      await store.save('step-00000010', sample(3));
      expect(await store.list()).toEqual(['step-00000002', 'step-00000010']);
      expectSame(await store.load('step-00000010'), sample(3));
      await store.delete('step-00000002');
      await store.delete('never-saved');
      expect(await store.list()).toEqual(['step-00000010']);
      expect(await store.load('step-00000002')).toBeNull();
    }));

    it('rejects unsafe names everywhere', withStore(async ({ store }) => {
      for (const bad of ['', '../evil', 'a/b', '.hidden', 'a\\b', 'x'.repeat(200)]) {
        await expect(store.save(bad, sample(1)), bad).rejects.toThrow(/invalid checkpoint name/);
        await expect(store.load(bad), bad).rejects.toThrow(/invalid checkpoint name/);
        await expect(store.delete(bad), bad).rejects.toThrow(/invalid checkpoint name/);
      }
      expect(await store.list()).toEqual([]);
    }));

    it('a malformed save fails clearly and leaves the previous checkpoint intact', withStore(async ({ store }) => {
      await store.save('ck', sample(1));
      const bad = sample(2);
      bad.tensors['param/layers.0.q.w'].shape = [4, 4];
      await expect(store.save('ck', bad)).rejects.toThrow(/tensor 'param\/layers\.0\.q\.w' has shape \[4,4\] \(16 values\) but 6 values/);
      expectSame(await store.load('ck'), sample(1));
      expect(await store.list()).toEqual(['ck']);
    }));

    it('a write that fails inside the store (e.g. quota) leaves the previous checkpoint intact', withStore(async ({ store, failNextWrite }) => {
      if (!failNextWrite) return; // this store cannot simulate a failing medium
      await store.save('ck', sample(1));
      failNextWrite();
      await expect(store.save('ck', sample(2))).rejects.toThrow();
      expectSame(await store.load('ck'), sample(1));
      expect(await store.list()).toEqual(['ck']);
      await store.save('ck', sample(3)); // and the store still works afterwards
      expectSame(await store.load('ck'), sample(3));
    }));
  });
}
