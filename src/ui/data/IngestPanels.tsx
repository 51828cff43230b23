/**
 * The Data screen's ingest half: the page's ingest store over the controller (ingest-for.ts: the mix it edits, the
 * dropped texts, re-tokenizing after a change) and the lazily started ingest worker; shows the catalogue, the
 * record preview and the AlpaGasus filter. Training still reads the mix through the session worker's prepareData.
 */
import type { Controller } from '../stores/controller';
import { isBusy } from '../stores/run-state';
import { CatalogueCard } from './CatalogueCard';
import { FilterPanel } from './FilterPanel';
import { PreviewCard } from './PreviewCard';
import { ingestFor } from './ingest-for';
import './data.css';

export { ingestHost } from './ingest-for';

export function IngestPanels(props: { ctl: Controller }) {
  const ingest = ingestFor(props.ctl);
  const busy = () => isBusy(props.ctl.run.phase);
  return (
    <>
      <CatalogueCard ingest={ingest} busy={busy} />
      <PreviewCard ingest={ingest} />
      <FilterPanel ingest={ingest} busy={busy} />
    </>
  );
}
