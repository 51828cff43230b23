/**
 * Picking a model: the embedded tiny model, a curated hub list (each with its size and the memory LoRA training
 * needs at batch 4 x 256, from src/train/estimate.ts's formula, rounded), any hub repo id, or a folder's files
 * dropped from disk (config.json, *.safetensors, tokenizer.json ...); below them, how the base is stored
 * (QuantizeFields: none, int8 or int4).
 */
import { For, createSignal } from 'solid-js';
import { EMBEDDED_MODEL_URL } from '../experiment/experiment';
import type { Controller } from './stores/controller';
import { QuantizeFields } from './QuantizeFields';

export const CURATED: { repo: string; size: string; memory: string }[] = [
  { repo: 'HuggingFaceTB/SmolLM2-135M-Instruct', size: '135M params, 0.5 GB', memory: '~2 GB' },
  { repo: 'HuggingFaceTB/SmolLM2-360M-Instruct', size: '360M params, 1.4 GB', memory: '~4 GB' },
  { repo: 'Qwen/Qwen2.5-0.5B-Instruct', size: '494M params, 2.0 GB', memory: '~6 GB' },
  { repo: 'TinyLlama/TinyLlama-1.1B-Chat-v1.0', size: '1.1B params, 4.4 GB', memory: '~9 GB' },
  { repo: 'meta-llama/Llama-3.2-1B-Instruct', size: '1.2B params, 5 GB', memory: '~10 GB' },
  { repo: 'openai-community/gpt2', size: '124M params, 0.5 GB', memory: '~2 GB' },
  { repo: 'bigscience/bloom-560m', size: '560M params, 2.2 GB', memory: '~6 GB' },
  { repo: 'microsoft/Phi-3-mini-4k-instruct', size: '3.8B params, 15 GB', memory: '~24 GB' },
  { repo: 'google/gemma-2-2b-it', size: '2.6B params, 10 GB', memory: '~18 GB' },
];

export function ModelPicker(props: { ctl: Controller }) {
  const ctl = props.ctl;
  const [repo, setRepo] = createSignal(ctl.exp.model.kind === 'hub' ? ctl.exp.model.repo : '');

  const useHub = (r: string) => {
    ctl.setExp('model', { kind: 'hub', repo: r.trim(), revision: 'main' });
    void ctl.ensureModel();
  };

  const onFiles = async (list: FileList | null) => {
    if (!list?.length) return;
    const files = await Promise.all([...list].map(async (f) => ({ name: f.name, bytes: await f.arrayBuffer() })));
    const label = list[0].webkitRelativePath?.split('/')[0] || 'dropped files';
    ctl.setDroppedModel({ files, label });
    ctl.setExp('model', { kind: 'local', label });
    void ctl.ensureModel();
  };

  return (
    <div class="model-picker">
      <button type="button" onClick={() => {
        ctl.setExp('model', { kind: 'url', url: EMBEDDED_MODEL_URL, label: 'webift-tiny (embedded)' });
        void ctl.ensureModel();
      }}>Use the embedded tiny model</button>
      <label class="field">
        <span class="field-label">Curated model</span>
        <select aria-label="Curated model" onChange={(e) => e.currentTarget.value && useHub(e.currentTarget.value)}>
          <option value="">Choose…</option>
          <For each={CURATED}>{(m) => <option value={m.repo}>{m.repo} — {m.size}, training needs {m.memory}</option>}</For>
        </select>
      </label>
      <form class="inline" onSubmit={(e) => {
        e.preventDefault();
        if (/^[\w.-]+\/[\w.-]+$/.test(repo().trim())) useHub(repo());
      }}>
        <label class="field">
          <span class="field-label">Hub repo id</span>
          <input type="text" placeholder="e.g. HuggingFaceTB/SmolLM2-135M" value={repo()} onInput={(e) => setRepo(e.currentTarget.value)} />
        </label>
        <button type="submit">Load from the hub</button>
      </form>
      <label class="field">
        <span class="field-label">Model files from disk</span>
        <input type="file" multiple aria-label="Model files from disk" onChange={(e) => void onFiles(e.currentTarget.files)} />
        <span class="field-help">config.json, model.safetensors (or shards) and tokenizer.json of one model.</span>
      </label>
      <QuantizeFields ctl={ctl} />
    </div>
  );
}
