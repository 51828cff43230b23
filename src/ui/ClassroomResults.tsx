/**
 * The classroom results from `/data/classroom-results.json` (written by `npm run classroom`): a table of each
 * variant's exact-match accuracy (mean ± spread over seeds) and a bar chart of the same, read tolerantly: a list of
 * rows with a name and numeric columns. Absent file: nothing is shown.
 */
import { For } from 'solid-js';
import { Card } from './fields';

export interface ClassroomRow {
  name: string;
  values: Record<string, number>;
}

export function parseClassroom(json: unknown): ClassroomRow[] {
  const list = Array.isArray(json) ? json : ['rows', 'results', 'variants'].map((k) => (json as Record<string, unknown> | null)?.[k]).find(Array.isArray);
  if (!list) return [];
  return (list as Record<string, unknown>[]).filter((r) => r && typeof r === 'object').map((r) => {
    const name = String(r.name ?? r.variant ?? r.label ?? r.id ?? '?');
    const values: Record<string, number> = {};
    for (const [k, v] of Object.entries(r)) if (typeof v === 'number' && Number.isFinite(v)) values[k] = v;
    return { name, values };
  });
}

export async function loadClassroom(): Promise<ClassroomRow[] | null> {
  try {
    const res = await fetch('/data/classroom-results.json');
    if (!res.ok || /text\/html/.test(res.headers.get('content-type') ?? '')) return null;
    const rows = parseClassroom(await res.json());
    return rows.length ? rows : null;
  } catch {
    return null;
  }
}

export function ClassroomResults(props: { data: ClassroomRow[] }) {
  const cols = () => [...new Set(props.data.flatMap((r) => Object.keys(r.values)))];
  const main = () => cols().find((c) => /acc|exact|em/i.test(c)) ?? cols()[0];
  const max = () => Math.max(1e-9, ...props.data.map((r) => r.values[main()] ?? 0));
  return (
    <Card title="Classroom results: does chain-of-thought data help?">
      <table>
        <thead><tr><th>Variant</th><For each={cols()}>{(c) => <th>{c}</th>}</For></tr></thead>
        <tbody><For each={props.data}>{(r) => <tr><td>{r.name}</td><For each={cols()}>{(c) => <td>{r.values[c] === undefined ? '–' : +r.values[c].toFixed(4)}</td>}</For></tr>}</For></tbody>
      </table>
      <div class="histogram" role="img" aria-label={`Bar chart of ${main()} by variant`}>
        <For each={props.data}>
          {(r) => (
            <div class="bar-row">
              <span class="bar-label">{r.name}</span>
              <span class="bar" style={{ width: `${(100 * (r.values[main()] ?? 0)) / max()}%` }} />
              <span class="bar-count">{main()}: {r.values[main()] === undefined ? '–' : +r.values[main()].toFixed(3)}</span>
            </div>
          )}
        </For>
      </div>
    </Card>
  );
}
