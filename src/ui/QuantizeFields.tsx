/**
 * The model panel's quantization: "Quantize base" (none, int8, int4) and, when quantizing, "Group size" (weights
 * per scale, a multiple of 8). They edit the experiment's `quantize`; the controller reloads the model that way
 * and asks for the memory estimate again. The frozen base is quantized, QLoRA style; the adapter stays f32.
 * Not offered here: asymmetric groups (the experiment's `symmetric`, kept as the link says).
 */
import { Show } from 'solid-js';
import type { Controller } from './stores/controller';
import { formatBytes, isBusy } from './stores/run-state';
import { NumberField, SelectField } from './fields';

type Mode = 'none' | 'int8' | 'int4';

export function QuantizeFields(props: { ctl: Controller }) {
  const ctl = props.ctl;
  const q = () => ctl.exp.quantize ?? { mode: 'none' as Mode, groupSize: 64, symmetric: true };
  const locked = () => isBusy(ctl.run.phase);
  const saved = () => {
    const m = ctl.model();
    return m.state === 'ready' ? m.info.quantized : undefined;
  };

  return (
    <div class="quantize-fields">
      <SelectField<Mode> label="Quantize base" value={q().mode} disabled={locked()} onChange={(mode) => void ctl.setQuantize({ ...q(), mode })}
        help="Stores the frozen model in 8 or 4 bits a weight (QLoRA style), so it needs less memory; the adapter still trains in f32."
        options={[{ value: 'none', label: 'none (f32)' }, { value: 'int8', label: 'int8' }, { value: 'int4', label: 'int4' }]} />
      <Show when={q().mode !== 'none'}>
        <NumberField label="Group size" min={8} max={4096} step={8} value={q().groupSize} disabled={locked()}
          onChange={(v) => void ctl.setQuantize({ ...q(), groupSize: Math.min(4096, Math.max(8, Math.round(v / 8) * 8)) })}
          help="Weights that share one scale, a multiple of 8; smaller is more accurate and a little larger (32–128 is usual)." />
      </Show>
      <Show when={saved()}>
        {(s) => <p class="field-help">Base weights: {formatBytes(s().weightBytes)} instead of {formatBytes(s().f32Bytes)} ({s().label}).</p>}
      </Show>
    </div>
  );
}
