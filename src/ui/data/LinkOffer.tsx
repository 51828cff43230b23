/**
 * The share link's missing stored data, said once: which catalogue entries (or filtered sets) the link's mix uses
 * that this browser does not hold, that nothing was restored yet, and "Pull and open the link" (the Data screen's
 * pull, with its progress bar and Cancel) or "Keep the default experiment". A set made elsewhere gets no pull.
 */
import { Show } from 'solid-js';
import type { IngestStore } from '../stores/ingest-store';
import type { LinkOffer as Offer } from '../stores/link-offer';
import { PullBar } from './PullBar';
import './data.css';

export function LinkOffer(props: { offer: Offer; ingest: IngestStore }) {
  const o = props.offer;
  return (
    <Show when={o.pending()}>
      {(p) => (
        <div class="link-offer" role="alert">
          <p>
            {p().message} Nothing from the link was restored yet: the default experiment is loaded.
            {p().missing.sets.length ? ' Run the AlpaGasus filter here on the same source to make the set, or ask for a link without it.' : ' Pull the data into this browser (it needs a connection to the Hugging Face hub) to open the link as it was made.'}
          </p>
          <PullBar ingest={props.ingest} />
          <div class="row-fields">
            <Show when={!p().missing.sets.length}>
              <button type="button" class="primary" disabled={o.busy()} onClick={() => void o.pullAndOpen()}>Pull and open the link</button>
            </Show>
            <button type="button" disabled={o.busy()} onClick={() => o.dismiss()}>Keep the default experiment</button>
          </div>
        </div>
      )}
    </Show>
  );
}
