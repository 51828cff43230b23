/**
 * A seeded, deterministic, resumable stream of training micro-batches (B, T) of Int32Array over tokenized examples:
 * a fresh permutation each epoch (the cursor stores the Rng's uint32 state), right padding (pad id, mask 0, label
 * -100) and optional greedy packing of whole examples into rows of at most cutoffLen. Batches never straddle epochs.
 * Packing is naive, as HF's: attention is NOT blocked across the examples of a row and positions run on, so an
 * example attends to those before it; labels stay per example. Not handled: length bucketing, per-example positions.
 */
import { permutation, Rng } from './rng';

const IGNORE = -100;

/** A tokenized example (tokenize-example.ts TokenizedExample is one). */
export interface Example {
  ids: Int32Array;
  labels: Int32Array;
}

export interface Batch {
  /** (B, T) row-major token ids, pad id after each row's tokens. */
  ids: Int32Array;
  /** (B, T) HF labels: -100 on pads and on tokens not learned. */
  labels: Int32Array;
  /** (B, T) 1 on real tokens, 0 on pads. */
  attentionMask: Int32Array;
  B: number;
  T: number;
  /** Non-pad tokens (sum of the mask). */
  tokens: number;
  /** Targets the loss counts: labels != -100 at t >= 1 of each row (the shifted loss never predicts t = 0). */
  targets: number;
  /** 0-based epoch this batch belongs to. */
  epoch: number;
  /** Example indices in the batch, row by row in order (packed rows contribute several). */
  indices: Int32Array;
}

export interface BatchOptions {
  /** B: rows per micro-batch, e.g. 4. The last batch of an epoch can be smaller (see dropLast). */
  batchSize: number;
  /** Token id written in pad positions (its label is -100 and mask 0, so any id is safe). */
  padId: number;
  /** PRNG seed for the per-epoch shuffles. Default 42. */
  seed?: number;
  /** Passes next() makes before returning null. Default 1; leave it at 1 when a caller drives passes with startEpoch(). */
  epochs?: number;
  /** Default true; false keeps the given order (eval). */
  shuffle?: boolean;
  /** Pack whole examples greedily into rows of at most cutoffLen tokens. Default false. */
  packing?: boolean;
  /** Row capacity in tokens when packing, e.g. 256; every example must already fit (tokenize with it). */
  cutoffLen?: number;
  /** Round T up to a multiple of this, e.g. 8 as alpaca-lora's collator; cutoffLen with packing gives a fixed T. */
  padToMultipleOf?: number;
  /** Skip an epoch's last, short batch. Default false. */
  dropLast?: boolean;
}

/** JSON-able position in the stream; restore() into a source built with the same data and options. */
export interface BatchCursor {
  version: 1;
  epoch: number;
  /** Examples of this epoch's order already consumed. */
  offset: number;
  /** Rng state just before this epoch's shuffle. */
  epochRng: number;
  /** next() returns null once epoch `until - 1` is consumed. */
  until: number;
  /** Data (count, hash of lengths and ids) and batch options; not epochs, so a finished run can be extended. */
  fingerprint: string;
}

function fnv1a(values: Iterable<number>, h = 0x811c9dc5): number {
  for (const v of values) h = Math.imul(h ^ (v >>> 0), 0x01000193) >>> 0;
  return h;
}

export class BatchSource {
  readonly B: number;
  readonly epochs: number;
  private readonly o: Required<Omit<BatchOptions, 'cutoffLen'>> & { cutoffLen: number };
  private readonly lengths: Int32Array;
  private readonly rng: Rng;
  private readonly fingerprint: string;
  private order: Int32Array = new Int32Array(0);
  private epoch = 0;
  private offset = 0;
  private epochRng = 0;
  private until: number;
  private perEpoch: { epoch: number; count: number } | null = null;

  constructor(private readonly examples: readonly Example[], opts: BatchOptions) {
    const o = { seed: 42, epochs: 1, shuffle: true, packing: false, padToMultipleOf: 1, dropLast: false, cutoffLen: 0, ...opts };
    const posInt = (v: number, what: string) => {
      if (!(Number.isInteger(v) && v >= 1)) throw new Error(`${what} must be a positive integer, got ${v}`);
    };
    posInt(o.batchSize, 'batchSize');
    posInt(o.epochs, 'epochs');
    posInt(o.padToMultipleOf, 'padToMultipleOf');
    if (!Number.isInteger(o.padId)) throw new Error(`padId must be an integer, got ${o.padId}`);
    if (examples.length === 0) throw new Error('no examples to batch');
    if (o.packing) posInt(o.cutoffLen, 'cutoffLen (needed with packing)');
    this.lengths = Int32Array.from(examples, (e, i) => {
      if (e.ids.length !== e.labels.length) throw new Error(`example ${i}: ${e.ids.length} ids but ${e.labels.length} labels`);
      if (e.ids.length === 0) throw new Error(`example ${i} has no tokens`);
      if (o.packing && e.ids.length > o.cutoffLen) throw new Error(`example ${i} has ${e.ids.length} tokens, more than cutoffLen ${o.cutoffLen}: tokenize with the same cutoffLen`);
      return e.ids.length;
    });
    this.o = o;
    this.B = o.batchSize;
    this.epochs = this.until = o.epochs;
    const settings = [o.batchSize, o.padId, o.seed, +o.shuffle, +o.packing, o.packing ? o.cutoffLen : 0, o.padToMultipleOf, +o.dropLast];
    const ids = examples.reduce((h, e) => fnv1a(e.ids, h), fnv1a(this.lengths));
    this.fingerprint = `n${examples.length}:h${ids.toString(16)}:${settings.join(',')}`;
    this.rng = new Rng(o.seed);
    this.begin(0);
  }

  private begin(e: number): void {
    this.epoch = e;
    this.offset = 0;
    this.epochRng = this.rng.state;
    this.order = this.o.shuffle ? permutation(this.examples.length, this.rng) : Int32Array.from(this.examples, (_, i) => i);
  }

  /** Rows (lists of example indices) of the batch starting at `offset` in `order`, and where the next one starts. */
  private takeRows(order: Int32Array, offset: number): { rows: number[][]; end: number } {
    const rows: number[][] = [];
    const n = order.length;
    let k = offset;
    while (rows.length < this.B && k < n) {
      if (!this.o.packing) {
        rows.push([order[k++]]);
        continue;
      }
      const row: number[] = [];
      for (let len = 0; k < n && len + this.lengths[order[k]] <= this.o.cutoffLen; k++) {
        len += this.lengths[order[k]];
        row.push(order[k]);
      }
      rows.push(row);
    }
    return { rows, end: k };
  }

  /** The next micro-batch, or null once epoch `until - 1` (epochs - 1 unless startEpoch said otherwise) is consumed. */
  next(): Batch | null {
    for (;;) {
      const { rows, end } = this.takeRows(this.order, this.offset);
      if (rows.length > 0 && !(this.o.dropLast && rows.length < this.B)) {
        this.offset = end;
        return this.assemble(rows);
      }
      if (this.epoch + 1 >= this.until) {
        this.offset = this.examples.length; // a dropped short tail counts as consumed
        return null;
      }
      this.begin(this.epoch + 1); // the Rng runs on from the previous epoch's shuffle
    }
  }

  /**
   * The trainer's pass protocol (train/batch.ts): begin pass `e` from its start; next() returns null at its end.
   * Epoch e's order is the same however it is reached (the next epoch continues the Rng, any other replays from the seed).
   */
  startEpoch(e: number): void {
    if (!(Number.isInteger(e) && e >= 0)) throw new Error(`epoch must be an integer >= 0, got ${e}`);
    if (e === this.epoch) this.offset = 0;
    else if (e === this.epoch + 1) this.begin(e);
    else {
      this.rng.restore(new Rng(this.o.seed).state);
      for (let k = 0; k < e && this.o.shuffle; k++) permutation(this.examples.length, this.rng);
      this.begin(e);
    }
    this.until = Math.max(this.epochs, e + 1);
  }

  /** Micro-batches in the current epoch (exact; with packing it can differ by epoch, as rows depend on the order). */
  get batchesPerEpoch(): number {
    if (this.perEpoch?.epoch !== this.epoch) this.perEpoch = { epoch: this.epoch, count: this.countBatches(this.order) };
    return this.perEpoch.count;
  }

  private countBatches(order: Int32Array): number {
    const n = order.length;
    if (!this.o.packing) return this.o.dropLast ? Math.floor(n / this.B) : Math.ceil(n / this.B);
    let count = 0;
    for (let k = 0; k < n; count++) {
      const { rows, end } = this.takeRows(order, k);
      if (this.o.dropLast && rows.length < this.B) break;
      k = end;
    }
    return count;
  }

  private assemble(rows: number[][]): Batch {
    const B = rows.length;
    const rowLen = rows.map((r) => r.reduce((s, i) => s + this.lengths[i], 0));
    const m = this.o.padToMultipleOf;
    const T = Math.ceil(Math.max(...rowLen) / m) * m;
    const ids = new Int32Array(B * T).fill(this.o.padId); // (B, T)
    const labels = new Int32Array(B * T).fill(IGNORE); // (B, T)
    const attentionMask = new Int32Array(B * T); // (B, T)
    let tokens = 0, targets = 0;
    rows.forEach((row, b) => {
      let t = b * T;
      for (const i of row) {
        const e = this.examples[i];
        ids.set(e.ids, t);
        labels.set(e.labels, t);
        t += e.ids.length;
      }
      attentionMask.fill(1, b * T, t);
      tokens += rowLen[b];
      for (let k = b * T + 1; k < t; k++) if (labels[k] !== IGNORE) targets++;
    });
    return { ids, labels, attentionMask, B, T, tokens, targets, epoch: this.epoch, indices: Int32Array.from(rows.flat()) };
  }

  cursor(): BatchCursor {
    return { version: 1, epoch: this.epoch, offset: this.offset, epochRng: this.epochRng, until: this.until, fingerprint: this.fingerprint };
  }

  /** Continues from a saved cursor: the following batches equal those the saving source would have produced. */
  restore(c: BatchCursor): void {
    if (!c || c.version !== 1) throw new Error(`not a batch cursor (version ${c?.version})`);
    if (c.fingerprint !== this.fingerprint) {
      throw new Error(`this cursor belongs to other data or batch options (cursor ${c.fingerprint}, source ${this.fingerprint})`);
    }
    const int = (v: number) => Number.isInteger(v) && v >= 0;
    if (!(int(c.epoch) && int(c.offset) && c.offset <= this.examples.length && int(c.until) && c.until > c.epoch && int(c.epochRng))) {
      throw new Error(`cursor position (epoch ${c.epoch}, offset ${c.offset}, until ${c.until}) is out of range`);
    }
    this.rng.restore(c.epochRng);
    this.begin(c.epoch);
    this.offset = c.offset;
    this.until = Math.max(c.until, this.epochs); // a source built with more epochs extends a finished run
  }

  /** Batches in a whole run of `epochs` passes from the start; exact also with packing (it replays the shuffles). */
  totalBatches(): number {
    const n = this.examples.length;
    if (!this.o.packing) return this.epochs * this.countBatches(this.order);
    const rng = new Rng(this.o.seed);
    let total = 0;
    for (let e = 0; e < this.epochs; e++) total += this.countBatches(this.o.shuffle ? permutation(n, rng) : this.order);
    return total;
  }
}
