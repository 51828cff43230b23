/**
 * The File System Access API's folder picker (window.showDirectoryPicker: Chromium-based browsers; Firefox and Safari
 * lack it), or null. The UI's one reader of that global: the picker needs the click's user activation, so it is
 * called on the page, and src/platform/ is out of the UI's import arrows (eslint.config.js; it also pulls tfjs).
 */
import type { FolderHandleLike } from '../util/folder-writer';

/** A folder the user picked, with read-write permission. */
export type PickedFolder = FolderHandleLike;

export type DirectoryPicker = (opts?: { mode?: 'read' | 'readwrite'; id?: string }) => Promise<PickedFolder>;

export function directoryPicker(): DirectoryPicker | null {
  const w = globalThis as { showDirectoryPicker?: DirectoryPicker };
  return typeof w.showDirectoryPicker === 'function' ? (opts) => w.showDirectoryPicker!(opts) : null;
}

export const NO_FOLDER_ACCESS = 'This browser cannot write into a folder (it has no File System Access API; Firefox and Safari lack it). Use "Export adapter (PEFT zip)" and unzip it instead.';
