/**
 * The verbs that leave the page: "Export adapter" (bytes from the worker, saved as a download), "Copy share link"
 * (the experiment in the URL hash, to the clipboard, with the link shown when the clipboard is refused), and
 * importing a PEFT adapter from files. The share link never carries dropped files or anything but the experiment.
 */
import { shareUrl } from '../../experiment/share-link';
import type { ExportFormat } from '../../protocol/train-api';
import type { Controller } from './controller';
import { importNote } from './adapter-transfer';
import { readAdapterFiles } from './adapter-files';

export function download(bytes: Uint8Array, fileName: string, mime: string): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: mime }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export async function exportAdapter(ctl: Controller, format: ExportFormat): Promise<string | null> {
  try {
    if (!(await ctl.ensureModel())) return null;
    const r = await ctl.client().call('exportAdapter', { format });
    download(r.bytes, r.fileName, r.mime);
    return `Saved ${r.fileName}${r.files.length ? ` (${r.files.join(', ')})` : ''}.`;
  } catch (e) {
    ctl.fail(e);
    return null;
  }
}

/** Copies the link; resolves to the link and whether the clipboard took it. */
export async function copyShareLink(ctl: Controller, page: string): Promise<{ url: string; copied: boolean }> {
  const x = JSON.parse(JSON.stringify(ctl.exp));
  const url = shareUrl(page, x);
  let copied = false;
  try {
    await navigator.clipboard.writeText(url);
    copied = true;
  } catch {
    copied = false;
  }
  return { url, copied };
}

/** A PEFT adapter from dropped files or a folder's files: adapter_config.json + adapter_model.safetensors, or a zip holding them. */
export async function importAdapterFiles(ctl: Controller, files: File[]): Promise<string> {
  const { config, weights } = await readAdapterFiles(files, ' Nothing was imported; the current adapter is kept.');
  if (!(await ctl.ensureModel())) throw new Error('Load a model first: the adapter is attached to it.');
  const label = files.length === 1 ? files[0].name : (files[0]?.webkitRelativePath.split('/')[0] || 'the chosen files');
  return importNote(await ctl.client().call('importAdapter', { config, weights, label }, { transfer: [weights.buffer as ArrayBuffer] }));
}
