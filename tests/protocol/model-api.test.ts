/**
 * A real worker API through comlink: the model worker's handlers (worker-handlers/model-handlers.ts, cpu backend)
 * exposed on a Node MessageChannel and called as the page calls them. The embedded webift-tiny checkpoint's files
 * move in (the sender's buffers detach), the logits move out as a Float32Array equal to the same forward pass run
 * in-process, and the handlers' errors keep their message, details and name.
 */
import { describe, expect, it } from 'vitest';
import { forward } from '../../src/model/transformer';
import { initBackend } from '../../src/platform/backend';
import { createClient } from '../../src/protocol/client';
import type { ModelApi } from '../../src/protocol/model-api';
import { serveHandlers } from '../../src/protocol/serve';
import type { Endpoint, RemoteError } from '../../src/protocol/wire';
import { createModelHandlers } from '../../src/worker-handlers/model-handlers';
import { tinyFiles, tinyInProcess } from '../worker-handlers/tiny-session';

describe('the model API through comlink (webift-tiny, cpu)', () => {
  it('loads moved files, returns logits equal to an in-process forward, and reports errors with details', async () => {
    const backend = initBackend({ prefer: ['cpu'] });
    const ch = new MessageChannel();
    serveHandlers<ModelApi>(ch.port2 as unknown as Endpoint, createModelHandlers(backend));
    const client = createClient<ModelApi>(ch.port1 as unknown as Endpoint);

    const noModel = (await client.call('logits', { ids: Int32Array.from([1]), B: 1, T: 1 }).catch((e: unknown) => e)) as RemoteError;
    expect(noModel).toMatchObject({ name: 'RemoteError', remoteName: 'Error', message: 'No model is loaded yet. Load a checkpoint first.', details: 'logits was called before loadModel' });

    const broken = (await client.call('loadModel', { files: [{ name: 'config.json', bytes: new TextEncoder().encode('{"model_type": "llama"').buffer }], label: 'broken' }).catch((e: unknown) => e)) as RemoteError;
    expect(broken).toMatchObject({ name: 'RemoteError', remoteName: 'CheckpointError', message: 'broken: config.json is not valid JSON' });
    expect(broken.details).toContain('CheckpointError');

    const files = tinyFiles();
    const summary = await client.call('loadModel', { files, label: 'webift-tiny' }, { transfer: files.map((f) => f.bytes) });
    expect(summary).toMatchObject({ label: 'webift-tiny', family: 'llama', layers: 4, hidden: 128, heads: 4, kvHeads: 4, vocabSize: 928 }); // its config.json
    expect(files.map((f) => f.bytes.byteLength)).toEqual([0, 0, 0, 0]); // moved, not copied

    const ids = Int32Array.from([1, 57, 300, 12, 5]);
    const r = await client.call('logits', { ids, B: 1, T: 5 });
    expect(r.shape).toEqual([1, 5, 928]);
    expect(r.backend).toBe('cpu');
    expect(r.logits).toBeInstanceOf(Float32Array);
    const { model } = await tinyInProcess();
    const want = forward(model, { ids, B: 1, T: 5 }).logits!;
    expect(Array.from(r.logits)).toEqual(Array.from(want.dataSync())); // same backend, same kernels: bit for bit
    want.dispose();
    model.dispose();
    expect(await client.call('unloadModel', {})).toBe(true);
    client.close();
  });
});
