/**
 * The Export screen: the adapter as a PEFT zip (adapter_config.json + adapter_model.safetensors, for PEFT and
 * transformers), as a GGUF LoRA file (llama.cpp, Ollama, wllama), or merged into the model (a zip of a model
 * folder); and importing a PEFT adapter from disk (the two files, or a zip of them).
 */
import { Show, createSignal } from 'solid-js';
import type { Controller } from './stores/controller';
import { exportAdapter, importAdapterFiles } from './stores/actions';
import { Card } from './fields';
import { toUiError } from './stores/errors';

export function ExportScreen(props: { ctl: Controller }) {
  const ctl = props.ctl;
  const [note, setNote] = createSignal<string | null>(null);
  const run = async (f: 'peft' | 'gguf' | 'merged') => setNote(await exportAdapter(ctl, f));

  return (
    <div class="export-screen">
      <Card title="Export">
        <p>Export works at any point: during training it saves the adapter as it is now.</p>
        <div class="button-row">
          <button type="button" class="primary" onClick={() => void run('peft')}>Export adapter (PEFT zip)</button>
          <button type="button" onClick={() => void run('gguf')}>Export GGUF LoRA</button>
          <button type="button" onClick={() => void run('merged')}>Export merged model</button>
        </div>
        <p class="field-help">PEFT: load with <code>PeftModel.from_pretrained(model, folder)</code>. GGUF: <code>llama-cli -m base.gguf --lora webift-adapter.gguf</code>. Merged: a plain model folder.</p>
        <Show when={note()}><p role="status">{note()}</p></Show>
      </Card>
      <Card title="Import a PEFT adapter">
        <label class="field">
          <span class="field-label">Adapter files</span>
          <input type="file" multiple accept=".json,.safetensors,.zip" aria-label="Adapter files" onChange={async (e) => {
            const files = [...(e.currentTarget.files ?? [])];
            try {
              setNote(await importAdapterFiles(ctl, files));
            } catch (err) {
              ctl.setError(toUiError(err, 'The adapter was not imported; the current one is unchanged.'));
            }
          }} />
          <span class="field-help">adapter_config.json and adapter_model.safetensors, or a zip with both. It replaces the current adapter.</span>
        </label>
      </Card>
    </div>
  );
}
