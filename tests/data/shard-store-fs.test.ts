/**
 * The ShardStore contract on the filesystem store, plus its crash story: a data file renamed into place without its
 * record (a crash between the two renames) is "no shard", and a stale record over replaced bytes is refused.
 */
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fsShardStore } from '../../src/node/fs-shard-store';
import { shardStoreContract } from './shard-store.contract';

const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'webift-shards-'));
let n = 0;
afterAll(() => fsp.rm(root, { recursive: true, force: true }));

shardStoreContract('filesystem', {
  make: async () => fsShardStore(path.join(root, `s${n++}`)),
  reopen: async (s) => fsShardStore(s.label),
});

describe('fsShardStore crash safety', () => {
  it('a data file without a matching record is not a shard; nothing is left in tmp/', async () => {
    const dir = path.join(root, 'crash');
    const s = fsShardStore(dir);
    await s.put('x/y.bin', Uint8Array.from([1, 2, 3]), {});
    // Simulate a crash after the data rename of a replacing put: new bytes (new inode), old record.
    const data = path.join(dir, 'files', 'x', 'y.bin');
    await fsp.writeFile(data + '.new', Uint8Array.from([9, 9, 9]));
    await fsp.rename(data + '.new', data);
    expect(await s.get('x/y.bin')).toBeNull();
    expect(await s.list()).toEqual([]);
    // An orphan data file with no record at all.
    await fsp.mkdir(path.join(dir, 'files', 'o'), { recursive: true });
    await fsp.writeFile(path.join(dir, 'files', 'o', 'z'), 'zz');
    expect(await s.has('o/z')).toBe(false);
    expect(await fsp.readdir(path.join(dir, 'tmp'))).toEqual([]);
  });
});
