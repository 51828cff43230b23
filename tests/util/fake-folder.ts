/**
 * An in-memory FileSystemDirectoryHandle (the subset src/util/folder-writer.ts uses) with the spec's writable
 * semantics: a createWritable() stream stages bytes in a swap buffer and the file changes only on close(); abort()
 * drops them. Faults: failWriteOf(name) makes the next write to that file name throw (as a full disk would), and
 * `withMove: false` plays a browser without FileSystemHandle.move(). `refuseMoveOntoExisting` plays one whose move
 * will not overwrite.
 */
import type { FileHandleLike, FolderHandleLike, WritableLike } from '../../src/util/folder-writer';

export class FakeFolder implements FolderHandleLike {
  readonly files = new Map<string, Uint8Array>();
  /** Every operation, in order: 'create x', 'close x', 'abort x', 'move x -> y', 'remove x'. */
  readonly log: string[] = [];
  readonly failing = new Set<string>();

  constructor(readonly name = 'chosen', readonly opts: { withMove?: boolean; refuseMoveOntoExisting?: boolean } = {}) {}

  failWriteOf(name: string): void {
    this.failing.add(name);
  }

  async getFileHandle(name: string, o: { create?: boolean } = {}): Promise<FileHandleLike> {
    if (!this.files.has(name)) {
      if (!o.create) throw new DOMException(`${name} not found`, 'NotFoundError');
      this.files.set(name, new Uint8Array(0));
      this.log.push(`create ${name}`);
    }
    return fileHandle(this, name);
  }

  async removeEntry(name: string): Promise<void> {
    if (!this.files.delete(name)) throw new DOMException(`${name} not found`, 'NotFoundError');
    this.log.push(`remove ${name}`);
  }
}

function fileHandle(folder: FakeFolder, initial: string): FileHandleLike {
  let name = initial;
  const h: FileHandleLike = {
    get name() {
      return name;
    },
    async createWritable(): Promise<WritableLike> {
      let staged = new Uint8Array(0);
      let open = true;
      return {
        async write(data) {
          if (!open) throw new TypeError('stream closed');
          if (folder.failing.delete(name)) throw new DOMException('There is not enough space on the disk.', 'QuotaExceededError');
          const next = new Uint8Array(staged.length + data.length);
          next.set(staged);
          next.set(data, staged.length);
          staged = next;
        },
        async close() {
          open = false;
          folder.files.set(name, staged);
          folder.log.push(`close ${name}`);
        },
        async abort() {
          open = false;
          folder.log.push(`abort ${name}`);
        },
      };
    },
  };
  if (folder.opts.withMove !== false) {
    h.move = async (to: string) => {
      if (folder.opts.refuseMoveOntoExisting && folder.files.has(to)) throw new DOMException(`${to} exists`, 'InvalidModificationError');
      const bytes = folder.files.get(name)!;
      folder.files.delete(name);
      folder.files.set(to, bytes);
      folder.log.push(`move ${name} -> ${to}`);
      name = to;
    };
  }
  return h;
}
