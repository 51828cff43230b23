/**
 * The worker boundary on comlink (src/protocol: createClient = Comlink.wrap, serveHandlers = Comlink.expose) over a
 * Node MessageChannel, with a small API whose handlers the test can watch: progress arrives in order and before the
 * result, abort rejects at once and fires the handler's signal, errors keep {message, details, name} as the UI shows
 * them, buffers move with Comlink.transfer both ways, and a crashed or closed worker rejects what is pending.
 */
import * as Comlink from 'comlink';
import { describe, expect, it } from 'vitest';
import { createClient, type Client } from '../../src/protocol/client';
import { serveHandlers } from '../../src/protocol/serve';
import { RemoteError, type Endpoint } from '../../src/protocol/wire';
import { needsRestart, toUiError } from '../../src/ui/stores/errors';

type TestApi = {
  /** Streams 1..n, then resolves 'done'. */
  count: { params: { n: number }; result: string; progress: number };
  /** Runs until the test lets it go; records whether its signal fired. */
  hold: { params: Record<string, never>; result: string; progress: never };
  fail: { params: { kind: 'details' | 'plain' | 'string' }; result: never; progress: never };
  /** Doubles the values into a new buffer that it moves back. */
  double: { params: { data: Float64Array }; result: { data: Float64Array }; progress: never };
};

function latch() {
  let resolve = () => {};
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function setup() {
  const seen = { aborted: false, started: latch(), release: latch(), out: null as Float64Array | null, gotBytes: 0 };
  const ch = new MessageChannel();
  serveHandlers<TestApi>(ch.port2 as unknown as Endpoint, {
    count: ({ n }, ctx) => {
      for (let i = 1; i <= n; i++) ctx.progress(i);
      return 'done';
    },
    hold: async (_p, ctx) => {
      ctx.signal.addEventListener('abort', () => (seen.aborted = true));
      seen.started.resolve();
      await seen.release.promise;
      return 'released';
    },
    fail: ({ kind }) => {
      if (kind === 'details') throw Object.assign(new Error('config.json is not valid JSON.'), { name: 'CheckpointError', details: 'CheckpointError: Unexpected end of JSON input' });
      if (kind === 'plain') throw new Error('The GPU device was lost.');
      throw 'a bare string';
    },
    double: ({ data }) => {
      seen.gotBytes = data.byteLength;
      seen.out = data.map((v) => 2 * v);
      return Comlink.transfer({ data: seen.out }, [seen.out.buffer]);
    },
  });
  const client: Client<TestApi> = createClient<TestApi>(ch.port1 as unknown as Endpoint);
  return { client, seen, port: ch.port1 };
}

describe('the worker boundary through comlink', () => {
  it('streams every progress event in order, all of them before the result', async () => {
    const { client } = setup();
    const events: number[] = [];
    const atResult = await client.call('count', { n: 200 }, { onProgress: (i) => events.push(i) }).then((r) => ({ r, n: events.length }));
    expect(atResult).toEqual({ r: 'done', n: 200 });
    expect(events).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(await client.call('count', { n: 3 })).toBe('done'); // no link lent: progress goes nowhere
    client.close();
  });

  it('abort rejects at once with an AbortError, fires the handler signal, and the worker keeps serving', async () => {
    const { client, seen } = setup();
    const ctrl = new AbortController();
    const call = client.call('hold', {}, { signal: ctrl.signal });
    await seen.started.promise;
    expect(client.pending()).toBe(1);
    ctrl.abort();
    await expect(call).rejects.toMatchObject({ name: 'AbortError', message: 'The operation was cancelled.' });
    expect(client.pending()).toBe(0);
    await expect.poll(() => seen.aborted).toBe(true); // the abort reached the worker while its handler still ran
    seen.release.resolve();
    expect(await client.call('count', { n: 2 })).toBe('done');
    // An already-aborted signal never reaches the worker.
    await expect(client.call('count', { n: 1 }, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    client.close();
  });

  it('errors arrive as RemoteError with {message, details, name}, which the UI shows unchanged', async () => {
    const { client } = setup();
    const caught = (kind: 'details' | 'plain' | 'string') => client.call('fail', { kind }).catch((e: unknown) => e as RemoteError);
    const withDetails = await caught('details');
    expect(withDetails).toBeInstanceOf(RemoteError);
    expect(withDetails).toMatchObject({ name: 'RemoteError', remoteName: 'CheckpointError', message: 'config.json is not valid JSON.', details: 'CheckpointError: Unexpected end of JSON input' });
    expect(toUiError(withDetails, 'The model could not be loaded.')).toEqual({ message: 'The model could not be loaded. config.json is not valid JSON.', details: 'CheckpointError: Unexpected end of JSON input' });

    const plain = await caught('plain');
    expect(plain).toMatchObject({ name: 'RemoteError', remoteName: 'Error', message: 'The GPU device was lost.' });
    expect(plain.details).toMatch(/^Error: The GPU device was lost\.\n.*boundary\.test\.ts/s); // name, message and the worker's stack

    expect(await caught('string')).toMatchObject({ name: 'RemoteError', remoteName: 'Error', message: 'a bare string', details: '' });

    const raw = client as unknown as { call(m: string, p: unknown): Promise<unknown> };
    const unknownMethod = (await raw.call('noSuchMethod', {}).catch((e: unknown) => e)) as RemoteError;
    expect(unknownMethod.message).toBe("The worker has no method 'noSuchMethod'.");
    expect(unknownMethod.details).toBe('known methods: count, hold, fail, double');

    const notCloneable = (await raw.call('count', { n: 1, f: () => 1 }).catch((e: unknown) => e)) as RemoteError;
    expect(notCloneable).toMatchObject({ name: 'RemoteError', remoteName: 'DataCloneError', message: "Could not send 'count' to the worker." });
    client.close();
  });

  it('moves buffers with Comlink.transfer: params when asked, the result when the handler returns one', async () => {
    const { client, seen } = setup();
    const copied = new Float64Array([1, 2, 3]);
    expect(Array.from((await client.call('double', { data: copied })).data)).toEqual([2, 4, 6]);
    expect(copied.byteLength).toBe(24); // copied, still ours
    expect(seen.out!.byteLength).toBe(0); // the handler's result buffer moved to the caller

    const moved = new Float64Array([5, 6]);
    const r = await client.call('double', { data: moved }, { transfer: [moved.buffer] });
    expect(Array.from(r.data)).toEqual([10, 12]);
    expect(moved.byteLength).toBe(0); // detached here
    expect(seen.gotBytes).toBe(16); // and whole there
    client.close();
  });

  it('a crashed worker rejects every pending call with a WorkerError (restart), and close rejects with AbortError', async () => {
    const { client, port, seen } = setup();
    const a = client.call('hold', {});
    await seen.started.promise;
    port.dispatchEvent(new Event('error'));
    const crashed = (await a.catch((e: unknown) => e)) as RemoteError;
    expect(crashed).toMatchObject({ name: 'RemoteError', remoteName: 'WorkerError', message: 'The background worker stopped with an error.' });
    expect(needsRestart(crashed)).toBe(true);
    expect(client.pending()).toBe(0);

    const b = client.call('hold', {});
    client.close();
    await expect(b).rejects.toMatchObject({ name: 'AbortError', message: 'The worker was closed.' });
    await expect(client.call('count', { n: 1 })).rejects.toThrow(); // a closed client refuses at once, never hangs
    seen.release.resolve();
  });
});
