/**
 * Peak bytes of distinct tfjs data buffers while fn runs, for the memory tests. tf.memory().numBytes counts every
 * tensor, so reshapes and the tape's saved clones (which share a buffer) would be counted twice; this hooks the
 * engine's per-buffer books. `start` is the count to begin from: 0 for what fn adds, or what is live now.
 */
import { tf } from '../../src/kernels/tf';

export async function peakBufferBytes(fn: () => Promise<void>, start = 0): Promise<number> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const eng = tf.engine() as any;
  const track = eng.trackTensor, remove = eng.removeDataId;
  let now = start, peak = start;
  eng.trackTensor = function (a: { dataId: object }, backend: unknown) {
    const fresh = !eng.state.tensorInfo.has(a.dataId);
    track.call(eng, a, backend);
    if (fresh) peak = Math.max(peak, (now += eng.state.tensorInfo.get(a.dataId).bytes));
  };
  eng.removeDataId = function (dataId: object, backend: unknown) {
    const info = eng.state.tensorInfo.get(dataId);
    remove.call(eng, dataId, backend);
    if (info && info.backend === backend) now -= info.bytes;
  };
  try {
    await fn();
  } finally {
    eng.trackTensor = track;
    eng.removeDataId = remove;
  }
  return peak;
}
