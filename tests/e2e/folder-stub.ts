/**
 * An in-page stand-in for window.showDirectoryPicker (headless Chromium cannot answer the real picker): it resolves
 * to an in-memory FileSystemDirectoryHandle whose writable streams commit only on close() and whose file handles can
 * move(), recording every operation and the folder's final files in `window.__folder` for the test to read.
 * Runs as a Playwright init script, so it is self-contained (no imports, no closures over Node values).
 */
export interface RecordedFolder {
  log: string[];
  files: Record<string, number[]>;
}

export function installFolderStub(): void {
  const files = new Map<string, Uint8Array>();
  const log: string[] = [];
  const rec = { log, get files() {
    return Object.fromEntries([...files].map(([k, v]) => [k, Array.from(v)]));
  } };
  (window as unknown as { __folder: unknown }).__folder = rec;
  const fileHandle = (initial: string) => {
    let name = initial;
    return {
      kind: 'file',
      get name() {
        return name;
      },
      async createWritable() {
        const parts: Uint8Array[] = [];
        return {
          async write(d: BufferSource) {
            parts.push(d instanceof Uint8Array ? d.slice() : new Uint8Array(d as ArrayBuffer));
          },
          async close() {
            const n = parts.reduce((a, p) => a + p.length, 0);
            const out = new Uint8Array(n);
            let at = 0;
            for (const p of parts) {
              out.set(p, at);
              at += p.length;
            }
            files.set(name, out);
            log.push(`close ${name}`);
          },
          async abort() {
            log.push(`abort ${name}`);
          },
        };
      },
      async move(to: string) {
        files.set(to, files.get(name)!);
        files.delete(name);
        log.push(`move ${name} -> ${to}`);
        name = to;
      },
    };
  };
  const dir = {
    kind: 'directory',
    name: 'picked-folder',
    async getFileHandle(name: string, o: { create?: boolean } = {}) {
      if (!files.has(name)) {
        if (!o.create) throw new DOMException(name, 'NotFoundError');
        files.set(name, new Uint8Array(0));
      }
      return fileHandle(name);
    },
    async removeEntry(name: string) {
      files.delete(name);
      log.push(`remove ${name}`);
    },
  };
  (window as unknown as { showDirectoryPicker: unknown }).showDirectoryPicker = async () => dir;
}

/** A browser without the File System Access API (Firefox, Safari). */
export function removeFolderPicker(): void {
  delete (Window.prototype as unknown as { showDirectoryPicker?: unknown }).showDirectoryPicker;
  delete (window as unknown as { showDirectoryPicker?: unknown }).showDirectoryPicker;
}
