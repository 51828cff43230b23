/**
 * The screens as accessible tabs (WAI-ARIA tabs pattern: arrow keys, Home/End, roving tabindex). Train, Chat and
 * Data are placeholders until their issues land; each says what it will hold. Not here: the Experiment, Evaluate
 * and Storage screens (later), routing or URL state.
 */
import { For, createSignal, type JSX } from 'solid-js';

interface Screen {
  id: string;
  label: string;
  body: () => JSX.Element;
}

const SCREENS: Screen[] = [
  {
    id: 'train',
    label: 'Train',
    body: () => <p>Training will live here: the loss curve, tokens per second, the estimated time on this device, and pause, stop and resume.</p>,
  },
  {
    id: 'chat',
    label: 'Chat',
    body: () => <p>The chat playground will live here: the base model and your adapter side by side, with sampling controls.</p>,
  },
  {
    id: 'data',
    label: 'Data',
    body: () => <p>The dataset catalogue will live here: a filterable table, record previews, the mix builder and the AlpaGasus filter.</p>,
  },
];

export function Screens() {
  const [active, setActive] = createSignal(0);
  const tabs: HTMLButtonElement[] = [];

  const select = (i: number) => {
    const n = (i + SCREENS.length) % SCREENS.length;
    setActive(n);
    tabs[n]?.focus();
  };

  const onKey = (e: KeyboardEvent) => {
    const moves: Record<string, number> = { ArrowRight: active() + 1, ArrowLeft: active() - 1, Home: 0, End: SCREENS.length - 1 };
    if (e.key in moves) {
      e.preventDefault();
      select(moves[e.key]);
    }
  };

  return (
    <div class="screens">
      <div class="tabs" role="tablist" aria-label="Screens" onKeyDown={onKey}>
        <For each={SCREENS}>
          {(s, i) => (
            <button
              ref={(el) => (tabs[i()] = el)}
              id={`tab-${s.id}`}
              type="button"
              role="tab"
              aria-selected={active() === i()}
              aria-controls={`panel-${s.id}`}
              tabIndex={active() === i() ? 0 : -1}
              onClick={() => setActive(i())}
            >
              {s.label}
            </button>
          )}
        </For>
      </div>
      <For each={SCREENS}>
        {(s, i) => (
          <section class="panel" id={`panel-${s.id}`} role="tabpanel" aria-labelledby={`tab-${s.id}`} hidden={active() !== i()} tabIndex={0}>
            <h2>{s.label}</h2>
            {s.body()}
          </section>
        )}
      </For>
    </div>
  );
}
