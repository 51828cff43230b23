/**
 * A labelled file input that reads the picked file as text for the eval worker ({name, text}); the label is its
 * accessible name. Clearing the input clears the file. Not handled: binary formats (parquet), several files.
 */
import { createUniqueId } from 'solid-js';
import type { TextFile } from '../../protocol/eval-api';

export function FilePick(props: { label: string; help: string; accept: string; onFile: (f: TextFile | null) => void; disabled?: boolean }) {
  const id = createUniqueId();
  return (
    <div class="field">
      <label class="field-label" for={id}>{props.label}</label>
      <input id={id} type="file" accept={props.accept} aria-describedby={`${id}-help`} disabled={props.disabled}
        onChange={async (e) => {
          const f = e.currentTarget.files?.[0];
          props.onFile(f ? { name: f.name, text: await f.text() } : null);
        }} />
      <span class="field-help" id={`${id}-help`}>{props.help}</span>
    </div>
  );
}
