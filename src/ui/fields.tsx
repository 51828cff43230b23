/**
 * Labelled form fields with a one-line "what it does" under each: number, select, checkbox and text. The label is
 * the accessible name (tests and screen readers find fields by it); the help line is its description
 * (aria-describedby), so names stay exactly the label. Numbers commit on change, never half-typed.
 */
import { For, createUniqueId, type JSX } from 'solid-js';

export function NumberField(props: { label: string; help?: string; value: number; min?: number; max?: number; step?: number | 'any'; onChange: (v: number) => void; disabled?: boolean }) {
  const id = createUniqueId();
  return (
    <div class="field">
      <label class="field-label" for={id}>{props.label}</label>
      <input id={id} aria-describedby={props.help ? `${id}-help` : undefined} type="number" value={props.value} min={props.min} max={props.max} step={props.step ?? 'any'} disabled={props.disabled}
        onChange={(e) => {
          const v = Number(e.currentTarget.value);
          if (e.currentTarget.value !== '' && Number.isFinite(v)) props.onChange(v);
          else e.currentTarget.value = String(props.value);
        }} />
      {props.help && <span class="field-help" id={`${id}-help`}>{props.help}</span>}
    </div>
  );
}

export function SelectField<T extends string>(props: { label: string; help?: string; value: T; options: { value: T; label: string }[]; onChange: (v: T) => void; disabled?: boolean }) {
  const id = createUniqueId();
  return (
    <div class="field">
      <label class="field-label" for={id}>{props.label}</label>
      <select id={id} aria-describedby={props.help ? `${id}-help` : undefined} value={props.value} disabled={props.disabled} onChange={(e) => props.onChange(e.currentTarget.value as T)}>
        <For each={props.options}>{(o) => <option value={o.value}>{o.label}</option>}</For>
      </select>
      {props.help && <span class="field-help" id={`${id}-help`}>{props.help}</span>}
    </div>
  );
}

export function CheckField(props: { label: string; help?: string; checked: boolean; onChange: (v: boolean) => void; disabled?: boolean }) {
  const id = createUniqueId();
  return (
    <div class="field field-check">
      <span><input id={id} aria-describedby={props.help ? `${id}-help` : undefined} type="checkbox" checked={props.checked} disabled={props.disabled} onChange={(e) => props.onChange(e.currentTarget.checked)} /> <label for={id}>{props.label}</label></span>
      {props.help && <span class="field-help" id={`${id}-help`}>{props.help}</span>}
    </div>
  );
}

export function TextField(props: { label: string; help?: string; value: string; placeholder?: string; onChange: (v: string) => void; disabled?: boolean }) {
  const id = createUniqueId();
  return (
    <div class="field">
      <label class="field-label" for={id}>{props.label}</label>
      <input id={id} aria-describedby={props.help ? `${id}-help` : undefined} type="text" value={props.value} placeholder={props.placeholder} disabled={props.disabled} onChange={(e) => props.onChange(e.currentTarget.value)} />
      {props.help && <span class="field-help" id={`${id}-help`}>{props.help}</span>}
    </div>
  );
}

export function Card(props: { title: string; children: JSX.Element; class?: string }) {
  return (
    <section class={`card ${props.class ?? ''}`} aria-label={props.title}>
      <h3>{props.title}</h3>
      {props.children}
    </section>
  );
}
