/**
 * P-tuning's reparametrisation (arXiv:2103.10385) as peft 0.13's PromptEncoder: n embeddings E [n, C] pass through
 *  - MLP:  Linear(C→h), ReLU, Linear(h→h), ReLU, Linear(h→C)   (mlp_head.0/2/4; encoder_num_layers is ignored), or
 *  - LSTM: a bidirectional torch.nn.LSTM(C, h, encoder_num_layers) over the n tokens as ONE sequence (zero initial
 *          state), then Linear(2h→2h), ReLU, Linear(2h→C)      (lstm_head.*, mlp_head.0/2).
 * The output [n, C] is the virtual-token embeddings, shared by every row of a batch. Parameters are held under
 * PEFT's names and layouts ('prompt_encoder.mlp_head.0.weight' [out, in]), so checkpoints and gradients compare
 * key for key. Init: E ~ N(0, 1); Linear and LSTM weights U(±1/sqrt(fan)) as torch's defaults (other draws).
 * Not handled: encoder_dropout > 0 (refused in config.ts).
 */
import { tf, type Tensor } from '../kernels/tf';
import type { PromptEncoderConfig } from './config';
import { mulberry32, normalFill, uniformFill } from './rng';

export const ENCODER_PREFIX = 'prompt_encoder.';

/** Every encoder parameter: PEFT key and shape, in PEFT's order. */
export function encoderShapes(c: PromptEncoderConfig): [string, number[]][] {
  const n = c.num_virtual_tokens, C = c.token_dim!, h = c.encoder_hidden_size!;
  const out: [string, number[]][] = [['embedding.weight', [n, C]]];
  if (c.encoder_reparameterization_type === 'LSTM') {
    for (let l = 0; l < c.encoder_num_layers; l++) {
      const inD = l === 0 ? C : 2 * h;
      for (const sfx of ['', '_reverse']) {
        out.push([`lstm_head.weight_ih_l${l}${sfx}`, [4 * h, inD]], [`lstm_head.weight_hh_l${l}${sfx}`, [4 * h, h]]);
        out.push([`lstm_head.bias_ih_l${l}${sfx}`, [4 * h]], [`lstm_head.bias_hh_l${l}${sfx}`, [4 * h]]);
      }
    }
    out.push(['mlp_head.0.weight', [2 * h, 2 * h]], ['mlp_head.0.bias', [2 * h]], ['mlp_head.2.weight', [C, 2 * h]], ['mlp_head.2.bias', [C]]);
  } else {
    out.push(['mlp_head.0.weight', [h, C]], ['mlp_head.0.bias', [h]], ['mlp_head.2.weight', [h, h]], ['mlp_head.2.bias', [h]]);
    out.push(['mlp_head.4.weight', [C, h]], ['mlp_head.4.bias', [C]]);
  }
  return out.map(([k, s]) => [ENCODER_PREFIX + k, s]);
}

/** How many weights the encoder has (token_dim and encoder_hidden_size filled in). */
export function encoderParamCount(c: PromptEncoderConfig): number {
  return encoderShapes(c).reduce((s, [, shape]) => s + shape.reduce((a, d) => a * d, 1), 0);
}

/** Fresh values for every encoder parameter, seeded. */
export function initEncoder(c: PromptEncoderConfig, seed: number): Map<string, Float32Array> {
  const rand = mulberry32(seed);
  const out = new Map<string, Float32Array>();
  const shapes = new Map(encoderShapes(c));
  for (const [key, shape] of shapes) {
    const size = shape.reduce((a, d) => a * d, 1);
    if (key.endsWith('embedding.weight')) out.set(key, normalFill(rand, size, 1));
    else if (key.includes('mlp_head.')) out.set(key, uniformFill(rand, size, 1 / Math.sqrt(shapes.get(key.replace(/bias$/, 'weight'))![1]))); // nn.Linear: ±1/sqrt(in)
    else out.set(key, uniformFill(rand, size, 1 / Math.sqrt(c.encoder_hidden_size!))); // nn.LSTM: ±1/sqrt(hidden)
  }
  return out;
}

/** y = x Wᵀ + b for PEFT-layout W [out, in]. */
function dense(x: Tensor, w: Tensor, b: Tensor): Tensor {
  return tf.add(tf.matMul(x, w, false, true), b);
}

/** One LSTM direction over x (n, in): h_t for every t, (n, h), in input order. gates = [i, f, g, o] as torch. */
function lstmDirection(x: Tensor, wih: Tensor, whh: Tensor, bih: Tensor, bhh: Tensor, reverse: boolean): Tensor {
  const n = x.shape[0]!, h = whh.shape[1]!;
  const xw = tf.add(tf.matMul(x, wih, false, true), tf.add(bih, bhh)); // (n, 4h), the input part of every step
  let hPrev: Tensor = tf.zeros([1, h]);
  let cPrev: Tensor = tf.zeros([1, h]);
  const outs: Tensor[] = new Array(n);
  for (let s = 0; s < n; s++) {
    const t = reverse ? n - 1 - s : s;
    const gates = tf.add(tf.slice(xw, [t, 0], [1, 4 * h]), tf.matMul(hPrev, whh, false, true)); // (1, 4h)
    const [i, f, g, o] = tf.split(gates, 4, 1);
    cPrev = tf.add(tf.mul(tf.sigmoid(f), cPrev), tf.mul(tf.sigmoid(i), tf.tanh(g)));
    hPrev = tf.mul(tf.sigmoid(o), tf.tanh(cPrev));
    outs[t] = hPrev;
  }
  return tf.concat(outs, 0);
}

/** The encoder output [n, C] (differentiable with respect to every parameter). Call inside a tidy. */
export function encodePrompt(params: Map<string, Tensor>, c: PromptEncoderConfig): Tensor {
  const p = (k: string) => {
    const t = params.get(ENCODER_PREFIX + k);
    if (!t) throw new Error(`P-tuning encoder parameter '${ENCODER_PREFIX + k}' is missing`);
    return t;
  };
  const e = p('embedding.weight'); // (n, C)
  if (c.encoder_reparameterization_type === 'MLP') {
    const h1 = tf.relu(dense(e, p('mlp_head.0.weight'), p('mlp_head.0.bias')));
    const h2 = tf.relu(dense(h1, p('mlp_head.2.weight'), p('mlp_head.2.bias')));
    return dense(h2, p('mlp_head.4.weight'), p('mlp_head.4.bias')); // (n, C)
  }
  let x = e;
  for (let l = 0; l < c.encoder_num_layers; l++) {
    const dir = (sfx: string, reverse: boolean) =>
      lstmDirection(x, p(`lstm_head.weight_ih_l${l}${sfx}`), p(`lstm_head.weight_hh_l${l}${sfx}`), p(`lstm_head.bias_ih_l${l}${sfx}`), p(`lstm_head.bias_hh_l${l}${sfx}`), reverse);
    x = tf.concat([dir('', false), dir('_reverse', true)], 1); // (n, 2h): [forward ; backward]
  }
  const h1 = tf.relu(dense(x, p('mlp_head.0.weight'), p('mlp_head.0.bias')));
  return dense(h1, p('mlp_head.2.weight'), p('mlp_head.2.bias')); // (n, C)
}
