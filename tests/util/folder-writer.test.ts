/**
 * writeFilesToFolder against an in-memory folder handle with the File System Access API's writable semantics
 * (fake-folder.ts): the files land whole under their names, no temp is left, an old pair is replaced, and a write
 * that fails part-way (the second file) leaves the folder byte-for-byte as it was, old files included.
 */
import { describe, expect, it } from 'vitest';
import { tempName, writeFilesToFolder } from '../../src/util/folder-writer';
import { FakeFolder } from './fake-folder';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : undefined);
const pair = (tag: string) => [
  { name: 'adapter_config.json', bytes: enc(`{"r": ${tag}}`) },
  { name: 'adapter_model.safetensors', bytes: enc(`weights-${tag}`) },
];

describe('writeFilesToFolder', () => {
  it('writes each file to a temp name, then moves all of them into place', async () => {
    const dir = new FakeFolder('out');
    const r = await writeFilesToFolder(dir, pair('8'));
    expect(r).toEqual({ folder: 'out', files: ['adapter_config.json', 'adapter_model.safetensors'], bytes: 8 + 9, mode: 'move' });
    expect([...dir.files.keys()].sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    expect(dec(dir.files.get('adapter_config.json'))).toBe('{"r": 8}');
    // Both temps are complete (closed) before the first move: a failure in phase 1 never touches real names.
    const t1 = tempName('adapter_config.json'), t2 = tempName('adapter_model.safetensors');
    expect(dir.log).toEqual([`create ${t1}`, `close ${t1}`, `create ${t2}`, `close ${t2}`, `move ${t1} -> adapter_config.json`, `move ${t2} -> adapter_model.safetensors`]);
  });

  it('replaces an existing pair, also where move() will not overwrite', async () => {
    for (const refuse of [false, true]) {
      const dir = new FakeFolder('out', { refuseMoveOntoExisting: refuse });
      await writeFilesToFolder(dir, pair('4'));
      await writeFilesToFolder(dir, pair('16'));
      expect(dec(dir.files.get('adapter_config.json'))).toBe('{"r": 16}');
      expect(dec(dir.files.get('adapter_model.safetensors'))).toBe('weights-16');
      expect(dir.files.size).toBe(2);
    }
  });

  it('a failure writing the second file leaves the old pair intact and no temp behind', async () => {
    const dir = new FakeFolder('out');
    await writeFilesToFolder(dir, pair('4'));
    const before = new Map(dir.files);
    dir.failWriteOf(tempName('adapter_model.safetensors'));
    await expect(writeFilesToFolder(dir, pair('16'))).rejects.toThrow(/not enough space/);
    expect(dir.files).toEqual(before);
    expect(dir.log.slice(-3)).toEqual([`abort ${tempName('adapter_model.safetensors')}`, `remove ${tempName('adapter_config.json')}`, `remove ${tempName('adapter_model.safetensors')}`]);
  });

  it('without move(), rewrites each real file through its own stream and removes the temps', async () => {
    const dir = new FakeFolder('out', { withMove: false });
    await writeFilesToFolder(dir, pair('4'));
    const r = await writeFilesToFolder(dir, pair('32'));
    expect(r.mode).toBe('copy');
    expect([...dir.files.keys()].sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    expect(dec(dir.files.get('adapter_model.safetensors'))).toBe('weights-32');
  });

  it('refuses paths and duplicate names before writing anything', async () => {
    const dir = new FakeFolder();
    await expect(writeFilesToFolder(dir, [{ name: '../x', bytes: enc('') }])).rejects.toThrow(/not a plain file name/);
    await expect(writeFilesToFolder(dir, [...pair('1'), pair('2')[0]])).rejects.toThrow(/given twice/);
    expect(dir.log).toEqual([]);
  });
});
