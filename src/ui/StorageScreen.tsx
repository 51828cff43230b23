/**
 * The Storage screen: what this browser keeps for webift (checkpoints and the run record in IndexedDB, hub
 * downloads in the Cache API), each with its size, the origin's usage and quota, and delete (one item or all).
 */
import { For, Show, createResource } from 'solid-js';
import type { Controller } from './stores/controller';
import { Card } from './fields';
import { formatBytes } from './stores/run-state';

const KIND: Record<string, string> = { checkpoint: 'Checkpoint', run: 'Run settings', 'hub-file': 'Downloaded file' };

export function StorageScreen(props: { ctl: Controller; active: () => boolean }) {
  const ctl = props.ctl;
  const [report, { refetch }] = createResource(() => (props.active() ? ctl.run.checkpoints.length + 1 : false), () => ctl.client().call('storage', {}).catch((e) => {
    ctl.fail(e);
    return null;
  }));
  const del = async (kind: 'checkpoint' | 'run' | 'hub-file' | 'all', name?: string) => {
    await ctl.client().call('deleteStorage', { kind, name }).catch((e) => ctl.fail(e));
    await ctl.refreshResumable();
    void refetch();
  };

  return (
    <Card title="Stored in this browser">
      <Show when={report()} fallback={<p class="muted">Reading…</p>}>
        {(r) => (
          <>
            <p>Used {formatBytes(r().usageBytes)} of {formatBytes(r().quotaBytes)} allowed for this site.</p>
            <Show when={r().items.length} fallback={<p class="muted">Nothing stored yet.</p>}>
              <table>
                <thead><tr><th>What</th><th>Name</th><th>Size</th><th><span class="sr-only">Actions</span></th></tr></thead>
                <tbody>
                  <For each={r().items}>
                    {(i) => (
                      <tr>
                        <td>{KIND[i.kind]}</td>
                        <td class="wrap">{i.name}</td>
                        <td>{formatBytes(i.bytes)}</td>
                        <td><button type="button" aria-label={`Delete ${i.name}`} onClick={() => void del(i.kind, i.name)}>Delete</button></td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
              <button type="button" onClick={() => void del('all')}>Delete everything</button>
            </Show>
          </>
        )}
      </Show>
    </Card>
  );
}
