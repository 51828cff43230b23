/**
 * The Storage screen: what this browser keeps for webift (checkpoints and the run record in IndexedDB, hub
 * downloads in the Cache API, and the datasets IndexedDB 'webift-shards': pulled dataset files, unfinished
 * downloads, AlpaGasus scores and kept sets, listed by the ingest worker), each with its size, the origin's usage
 * and quota, and delete (one item or everything). Deleting stored data makes the mix read it again from storage.
 */
import { For, Show, createResource } from 'solid-js';
import type { Controller } from './stores/controller';
import type { StoredItem } from '../protocol/ingest-api';
import { Card } from './fields';
import { formatBytes } from './stores/run-state';
import { ingestClient } from './data/ingest-worker';
import { ingestFor } from './data/ingest-for';
import { forgetStoredTexts } from './stores/stored-sources';

const KIND: Record<string, string> = {
  checkpoint: 'Checkpoint', run: 'Run settings', 'hub-file': 'Downloaded file',
  'dataset-file': 'Dataset file', partial: 'Unfinished download', scores: 'Filter scores', 'kept-set': 'Kept set',
};

/** One table row: a session-worker item (checkpoint, run, hub file) or a ShardStore item. */
interface Row {
  kind: string;
  name: string;
  detail: string;
  bytes: number;
  remove: () => Promise<unknown>;
}

export function StorageScreen(props: { ctl: Controller; active: () => boolean }) {
  const ctl = props.ctl;
  const [report, { refetch }] = createResource(() => (props.active() ? ctl.run.checkpoints.length + 1 : false), () => ctl.client().call('storage', {}).catch((e) => {
    ctl.fail(e);
    return null;
  }));
  const [shards, { refetch: refetchShards }] = createResource(() => (props.active() ? 1 : false), () => ingestClient().call('storedItems', {}).catch((e) => {
    ctl.fail(e, 'The stored datasets could not be listed.');
    return [] as StoredItem[];
  }));
  const afterShardDelete = async () => {
    // The mix's stored sources are read again from storage next time (and say so when they are gone).
    forgetStoredTexts(ctl.exp.data, ctl.dropped);
    ctl.invalidateData();
    await ingestFor(ctl).refreshPulled();
  };
  const del = async (kind: 'checkpoint' | 'run' | 'hub-file' | 'all', name?: string) => {
    await ctl.client().call('deleteStorage', { kind, name }).catch((e) => ctl.fail(e));
    await ctl.refreshResumable();
    void refetch();
  };
  const delShard = async (i: StoredItem) => {
    await ingestClient().call('deleteStored', { key: i.key, partial: i.kind === 'partial' }).catch((e) => ctl.fail(e, `${i.label} could not be deleted.`));
    await afterShardDelete();
    void refetchShards();
  };
  const delAll = async () => {
    await ingestClient().call('deleteStored', {}).catch((e) => ctl.fail(e, 'The stored datasets could not be deleted.'));
    await afterShardDelete();
    void refetchShards();
    await del('all');
  };
  const rows = (): Row[] => [
    ...(report()?.items ?? []).map((i) => ({ kind: KIND[i.kind], name: i.name, detail: '', bytes: i.bytes, remove: () => del(i.kind, i.name) })),
    ...(shards() ?? []).map((i) => ({
      kind: KIND[i.kind], name: i.kind === 'partial' ? `unfinished ${i.label}` : i.label, detail: i.entries.join(', '), bytes: i.bytes, remove: () => delShard(i),
    })),
  ];

  return (
    <Card title="Stored in this browser">
      <Show when={report()} fallback={<p class="muted">Reading…</p>}>
        {(r) => (
          <>
            <p>Used {formatBytes(r().usageBytes)} of {formatBytes(r().quotaBytes)} allowed for this site.</p>
            <Show when={rows().length} fallback={<p class="muted">Nothing stored yet.</p>}>
              <table>
                <thead><tr><th>What</th><th>Name</th><th>Size</th><th><span class="sr-only">Actions</span></th></tr></thead>
                <tbody>
                  <For each={rows()}>
                    {(i) => (
                      <tr>
                        <td>{i.kind}</td>
                        <td class="wrap">{i.name}<Show when={i.detail}><div class="muted">catalogue: {i.detail}</div></Show></td>
                        <td>{formatBytes(i.bytes)}</td>
                        <td><button type="button" aria-label={`Delete ${i.name}`} onClick={() => void i.remove()}>Delete</button></td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
              <button type="button" onClick={() => void delAll()}>Delete everything</button>
            </Show>
          </>
        )}
      </Show>
    </Card>
  );
}
