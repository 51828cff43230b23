/**
 * Moving adapters in and out beyond a download: export into a folder the user picks (File System Access API, every
 * file written whole to a temp name, then moved into place: util/folder-writer.ts), and import from the hub by repo
 * id. Errors become one message on the page; a failed import keeps the current adapter.
 * Not here: the zip/GGUF/merged downloads and the import of dropped files, a folder or a zip (actions.ts).
 */
import { unzipSync } from 'fflate';
import type { ImportAdapterResult } from '../../protocol/train-api';
import { writeFilesToFolder, type FolderWriteReport } from '../../util/folder-writer';
import type { DirectoryPicker, PickedFolder } from '../fs-access';
import type { Controller } from './controller';
import { isAbort, toUiError } from './errors';

export function importNote(r: ImportAdapterResult): string {
  const from = r.source ? ` from ${r.source}` : '';
  return `Imported a ${r.method} adapter with ${r.trainableParams.toLocaleString('en-US')} parameters${from}. Chat uses it now.${r.warning ? ` ${r.warning}` : ''}`;
}

/**
 * Export adapter to a folder: pick the folder FIRST (the picker needs the click's user activation), then ask the
 * worker for the PEFT files and write them. Resolves to the note to show, or null (cancelled, or failed: the error is set).
 */
export async function exportToFolder(ctl: Controller, pick: DirectoryPicker): Promise<string | null> {
  let dir: PickedFolder;
  try {
    dir = await pick({ mode: 'readwrite', id: 'webift-adapter' });
  } catch (e) {
    if (isAbort(e)) return null; // the user closed the picker
    ctl.setError(toUiError(e, 'The folder could not be opened.'));
    return null;
  }
  let report: FolderWriteReport;
  try {
    if (!(await ctl.ensureModel())) return null;
    const r = await ctl.client().call('exportAdapter', { format: 'peft' });
    const files = Object.entries(unzipSync(r.bytes)).filter(([name]) => !name.endsWith('/')).map(([name, bytes]) => ({ name: name.replace(/^.*\//, ''), bytes }));
    report = await writeFilesToFolder(dir, files);
  } catch (e) {
    if (isAbort(e)) return null;
    if (/^(NotAllowed|Security|QuotaExceeded|InvalidState|NoModificationAllowed)Error$/.test((e as Error)?.name ?? '')) {
      ctl.setError(toUiError(e, `The adapter could not be written into '${dir.name}'; files already there are unchanged.`));
    } else ctl.fail(e);
    return null;
  }
  return `Wrote ${report.files.join(' and ')} into the folder '${report.folder}' (${(report.bytes / 1e6).toFixed(2)} MB).`;
}

/** Import a PEFT adapter from a hub repo ('owner/name', optional revision); the worker downloads and checks it. */
export async function importFromHub(ctl: Controller, repo: string, revision?: string, host?: string): Promise<string | null> {
  const id = repo.trim();
  if (!id) {
    ctl.setError({ message: 'Type a hub repo id first, e.g. owner/my-lora-adapter.', details: '' });
    return null;
  }
  try {
    if (!(await ctl.ensureModel())) return null;
    ctl.setError(null);
    return importNote(await ctl.client().call('importAdapter', { hub: { repo: id, revision: revision?.trim() || undefined, host } }));
  } catch (e) {
    ctl.setError(toUiError(e));
    return null;
  }
}
