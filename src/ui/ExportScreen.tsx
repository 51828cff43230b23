/**
 * The Export screen: the adapter as a PEFT zip (adapter_config.json + adapter_model.safetensors, for PEFT and
 * transformers), into a folder (File System Access API, where the browser has it), as a GGUF LoRA file (llama.cpp,
 * Ollama, wllama), or merged into the model (a zip of a model folder); and importing a PEFT adapter from disk (the
 * two files, a folder, or a zip of them) or from the hub by repo id. An import replaces the adapter the chat uses.
 */
import { Show, createSignal } from 'solid-js';
import type { Controller } from './stores/controller';
import { exportAdapter, importAdapterFiles } from './stores/actions';
import { exportToFolder, importFromHub } from './stores/adapter-transfer';
import { Card } from './fields';
import { toUiError } from './stores/errors';
import { NO_FOLDER_ACCESS, directoryPicker } from './fs-access';

export function ExportScreen(props: { ctl: Controller }) {
  const ctl = props.ctl;
  const [note, setNote] = createSignal<string | null>(null);
  const [imported, setImported] = createSignal<string | null>(null);
  const [repo, setRepo] = createSignal('');
  const [revision, setRevision] = createSignal('');
  const canPickFolder = directoryPicker() !== null;
  const run = async (f: 'peft' | 'gguf' | 'merged') => setNote(await exportAdapter(ctl, f));
  const toFolder = async () => {
    const pick = directoryPicker(); // read at click time: the call must ride on this click's user activation
    if (!pick) return setNote(NO_FOLDER_ACCESS);
    setNote(await exportToFolder(ctl, pick));
  };
  const fromFiles = async (files: File[]) => {
    if (!files.length) return;
    try {
      ctl.setError(null);
      setImported(await importAdapterFiles(ctl, files));
    } catch (err) {
      ctl.setError(toUiError(err)); // the worker's message already says the current adapter is kept
    }
  };

  return (
    <div class="export-screen">
      <Card title="Export">
        <p>Export works at any point: during training it saves the adapter as it is now.</p>
        <div class="button-row">
          <button type="button" class="primary" onClick={() => void run('peft')}>Export adapter (PEFT zip)</button>
          <button type="button" aria-describedby="folder-help" onClick={() => void toFolder()}>Export to folder</button>
          <button type="button" onClick={() => void run('gguf')}>Export GGUF LoRA</button>
          <button type="button" onClick={() => void run('merged')}>Export merged model</button>
        </div>
        <p class="field-help" id="folder-help">{canPickFolder ? 'Export to folder writes adapter_config.json and adapter_model.safetensors into a folder you pick; files of the same name are replaced whole, never half-written.' : NO_FOLDER_ACCESS}</p>
        <p class="field-help">PEFT: load with <code>PeftModel.from_pretrained(model, folder)</code>. GGUF: <code>llama-cli -m base.gguf --lora webift-adapter.gguf</code>. Merged: a plain model folder.</p>
        <Show when={note()}><p role="status">{note()}</p></Show>
      </Card>
      <Card title="Import a PEFT adapter">
        <label class="field">
          <span class="field-label">Adapter files</span>
          <input type="file" multiple accept=".json,.safetensors,.zip" aria-label="Adapter files" onChange={(e) => void fromFiles([...(e.currentTarget.files ?? [])])} />
          <span class="field-help">adapter_config.json and adapter_model.safetensors, or a zip with both. It replaces the current adapter.</span>
        </label>
        <label class="field">
          <span class="field-label">Adapter folder</span>
          <input type="file" {...{ webkitdirectory: true }} aria-label="Adapter folder" onChange={(e) => void fromFiles([...(e.currentTarget.files ?? [])])} />
          <span class="field-help">A folder as PEFT's save_pretrained writes it.</span>
        </label>
        <form class="inline" onSubmit={async (e) => {
          e.preventDefault();
          setImported(await importFromHub(ctl, repo(), revision()));
        }}>
          <label class="field grow">
            <span class="field-label">Adapter repo id</span>
            <input type="text" placeholder="owner/my-lora-adapter" value={repo()} onInput={(e) => setRepo(e.currentTarget.value)} />
          </label>
          <label class="field">
            <span class="field-label">Adapter revision</span>
            <input type="text" placeholder="main" value={revision()} onInput={(e) => setRevision(e.currentTarget.value)} />
          </label>
          <button type="submit">Import from hub</button>
        </form>
        <p class="field-help">The adapter must be made for the loaded model (same layers and sizes); if it is not, nothing changes.</p>
        <Show when={imported()}><p role="status">{imported()}</p></Show>
      </Card>
    </div>
  );
}
