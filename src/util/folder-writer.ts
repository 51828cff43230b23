/**
 * Writes a set of files into a folder handle (the File System Access API's FileSystemDirectoryHandle, or anything of
 * that shape) so that a failure leaves no half file and no half SET: every file is first written whole to a temp
 * name (`.<name>.webift-tmp`), and only when all of them are written are they moved over the real names.
 * What the API guarantees (WHATWG File System spec, createWritable): writes go to a swap file and reach the file
 * only on close(); abort() or a crash discards them. It guarantees nothing across files; the temp phase does.
 * Not handled: the window in phase 2 (a few renames) is not atomic across files; folders inside the folder.
 */

/** The part of FileSystemWritableFileStream used here. */
export interface WritableLike {
  write(data: Uint8Array): Promise<void>;
  close(): Promise<void>;
  abort(reason?: unknown): Promise<void>;
}

/** The part of FileSystemFileHandle used here; `move` exists in Chromium 110+ (OPFS) / 122+ (local folders). */
export interface FileHandleLike {
  readonly name: string;
  createWritable(opts?: { keepExistingData?: boolean }): Promise<WritableLike>;
  move?(newName: string): Promise<void>;
}

/** The part of FileSystemDirectoryHandle used here. */
export interface FolderHandleLike {
  readonly name: string;
  getFileHandle(name: string, opts?: { create?: boolean }): Promise<FileHandleLike>;
  removeEntry(name: string): Promise<void>;
}

export interface FileToWrite {
  name: string;
  bytes: Uint8Array;
}

export interface FolderWriteReport {
  folder: string;
  files: string[];
  bytes: number;
  /** 'move' when the temps were renamed into place, 'copy' when the browser has no move() and they were rewritten. */
  mode: 'move' | 'copy';
}

export const tempName = (name: string) => `.${name}.webift-tmp`;

/** Writes `bytes` to a handle through one writable stream; on any failure the stream is aborted (nothing lands). */
async function writeWhole(h: FileHandleLike, bytes: Uint8Array): Promise<void> {
  const w = await h.createWritable({ keepExistingData: false });
  try {
    await w.write(bytes);
  } catch (e) {
    await w.abort(e).catch(() => undefined);
    throw e;
  }
  await w.close();
}

async function removeQuietly(dir: FolderHandleLike, name: string): Promise<void> {
  await dir.removeEntry(name).catch(() => undefined);
}

/**
 * Phase 1: each file to its temp name (a failure removes the temps written so far and rethrows: the folder is as it
 * was). Phase 2: each temp moved over its real name (an existing file is replaced); without move(), each real file
 * is rewritten through its own writable (still whole-or-nothing per file) and the temp removed.
 */
export async function writeFilesToFolder(dir: FolderHandleLike, files: FileToWrite[]): Promise<FolderWriteReport> {
  const names = new Set<string>();
  for (const f of files) {
    if (!/^[^/\\]+$/.test(f.name) || f.name === '.' || f.name === '..') throw new Error(`'${f.name}' is not a plain file name`);
    if (names.has(f.name)) throw new Error(`'${f.name}' is given twice`);
    names.add(f.name);
  }
  const temps: FileHandleLike[] = [];
  try {
    for (const f of files) {
      const h = await dir.getFileHandle(tempName(f.name), { create: true });
      temps.push(h);
      await writeWhole(h, f.bytes);
    }
  } catch (e) {
    for (const f of files.slice(0, temps.length)) await removeQuietly(dir, tempName(f.name));
    throw e;
  }
  const canMove = temps.every((t) => typeof t.move === 'function');
  for (let i = 0; i < files.length; i++) {
    const f = files[i], t = temps[i];
    if (canMove) {
      try {
        await t.move!(f.name);
      } catch {
        // Some implementations refuse to move onto an existing file: remove it, then move (a short window).
        await removeQuietly(dir, f.name);
        await t.move!(f.name);
      }
    } else {
      await writeWhole(await dir.getFileHandle(f.name, { create: true }), f.bytes);
      await removeQuietly(dir, tempName(f.name));
    }
  }
  return { folder: dir.name, files: files.map((f) => f.name), bytes: files.reduce((a, f) => a + f.bytes.byteLength, 0), mode: canMove ? 'move' : 'copy' };
}
