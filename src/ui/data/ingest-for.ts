/**
 * The page's one ingest store per controller: the Data screen's panels, the share-link offer to pull missing
 * sources and the AlpaGasus preset all see the same catalogue, pulled set, pull in flight and filter source.
 * The store edits the controller's mix and re-reads it after a change, and rates with this tab's model (ingestHost).
 */
import type { Controller } from '../stores/controller';
import { createIngest, type IngestHost, type IngestStore, type LocalRater } from '../stores/ingest-store';
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
    localRater: () => localRater(ctl),
  };
}

/** Asks the session worker to rate on a fresh port; resolves once it serves (its model loaded), rejects if it cannot. */
async function localRater(ctl: Controller): Promise<LocalRater> {
  if (!(await ctl.ensureModel())) throw new Error("Load a model first: this tab's model is the rater.");
  const ch = new MessageChannel();
  const stop = new AbortController();
  const label = await new Promise<string>((resolve, reject) => {
    ctl.client().call('serveRater', { port: ch.port1 }, { transfer: [ch.port1], signal: stop.signal, onProgress: (p) => resolve(p.label) }).catch(reject);
  });
  return { port: ch.port2, label, stop: () => stop.abort() };
}

const stores = new WeakMap<Controller, IngestStore>();

export function ingestFor(ctl: Controller): IngestStore {
  let s = stores.get(ctl);
  if (!s) stores.set(ctl, (s = createIngest(ingestHost(ctl), ingestClient, location.origin)));
  return s;
}
