/**
 * The Data screen's ingest half: builds the ingest store over the controller (the mix it edits, the dropped texts,
 * re-tokenizing after a change) and the lazily started ingest worker, then shows the catalogue, the record preview
 * and the AlpaGasus filter. Training still reads the mix through the session worker's prepareData.
 */
import type { Controller } from '../stores/controller';
import { createIngest, type IngestHost } from '../stores/ingest-store';
import { isBusy } from '../stores/run-state';
import { CatalogueCard } from './CatalogueCard';
import { FilterPanel } from './FilterPanel';
import { PreviewCard } from './PreviewCard';
import { ingestClient } from './ingest-worker';
import './data.css';

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

export function IngestPanels(props: { ctl: Controller }) {
  const ingest = createIngest(ingestHost(props.ctl), ingestClient, location.origin);
  const busy = () => isBusy(props.ctl.run.phase);
  return (
    <>
      <CatalogueCard ingest={ingest} busy={busy} />
      <PreviewCard ingest={ingest} />
      <FilterPanel ingest={ingest} busy={busy} />
    </>
  );
}
