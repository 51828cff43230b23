/**
 * The page's one ingest store per controller: the Data screen's panels, the share-link offer to pull missing
 * sources and the AlpaGasus preset all see the same catalogue, pulled set, pull in flight and filter source.
 * The store edits the controller's mix and re-reads it after a change (ingestHost).
 */
import type { Controller } from '../stores/controller';
import { createIngest, type IngestHost, type IngestStore } from '../stores/ingest-store';
import { ingestClient } from './ingest-worker';

export function ingestHost(ctl: Controller): IngestHost {
  return {
    mix: () => ctl.exp.data,
    setMix: (next) => ctl.setExp('data', next),
    dropped: ctl.dropped,
    dataChanged: () => {
      ctl.invalidateData();
      void ctl.ensureData();
    },
    setError: ctl.setError,
  };
}

const stores = new WeakMap<Controller, IngestStore>();

export function ingestFor(ctl: Controller): IngestStore {
  let s = stores.get(ctl);
  if (!s) stores.set(ctl, (s = createIngest(ingestHost(ctl), ingestClient, location.origin)));
  return s;
}
