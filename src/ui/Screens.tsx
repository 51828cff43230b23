/**
 * The screens as accessible tabs (WAI-ARIA tabs pattern: arrow keys, Home/End, roving tabindex): Experiment, Data,
 * Train (the default), Chat, Export, Evaluate and Storage. Every screen edits the one experiment in the controller.
 */
import { For, createSignal, type JSX } from 'solid-js';

export interface Screen {
  id: string;
  label: string;
  body: (active: () => boolean) => JSX.Element;
}

export function Screens(props: { screens: Screen[]; initial?: string }) {
  const start = Math.max(0, props.screens.findIndex((s) => s.id === props.initial));
  const [active, setActive] = createSignal(start);
  const tabs: HTMLButtonElement[] = [];
  const n = () => props.screens.length;

  const select = (i: number) => {
    const k = (i + n()) % n();
    setActive(k);
    tabs[k]?.focus();
  };

  const onKey = (e: KeyboardEvent) => {
    const moves: Record<string, number> = { ArrowRight: active() + 1, ArrowLeft: active() - 1, Home: 0, End: n() - 1 };
    if (e.key in moves) {
      e.preventDefault();
      select(moves[e.key]);
    }
  };

  return (
    <div class="screens">
      <div class="tabs" role="tablist" aria-label="Screens" onKeyDown={onKey}>
        <For each={props.screens}>
          {(s, i) => (
            <button ref={(el) => (tabs[i()] = el)} id={`tab-${s.id}`} type="button" role="tab" aria-selected={active() === i()} aria-controls={`panel-${s.id}`}
              tabIndex={active() === i() ? 0 : -1} onClick={() => setActive(i())}>
              {s.label}
            </button>
          )}
        </For>
      </div>
      <For each={props.screens}>
        {(s, i) => (
          <section class="panel" id={`panel-${s.id}`} role="tabpanel" aria-labelledby={`tab-${s.id}`} hidden={active() !== i()} tabIndex={0}>
            <h2>{s.label}</h2>
            {s.body(() => active() === i())}
          </section>
        )}
      </For>
    </div>
  );
}
