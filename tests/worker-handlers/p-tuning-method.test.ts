/**
 * The app's P-tuning entries: an experiment whose method is P_TUNING or P_TUNING_LSTM validates (share links carry
 * it), and the session worker turns it into PEFT's PromptEncoderConfig with the MLP or the LSTM encoder and the
 * experiment's virtual tokens. An unknown method is still refused by its path.
 */
import { describe, expect, it } from 'vitest';
import { defaultExperiment } from '../../src/experiment/experiment';
import { validateExperiment } from '../../src/experiment/validate';
import { peftConfigOf } from '../../src/worker-handlers/train-run';

describe('P-tuning in the app', () => {
  for (const [method, encoder] of [['P_TUNING', 'MLP'], ['P_TUNING_LSTM', 'LSTM']] as const) {
    it(`${method}: the experiment validates and maps to P_TUNING with the ${encoder} encoder`, () => {
      const x = defaultExperiment();
      x.peft = { ...x.peft, method, virtualTokens: 12 };
      expect(validateExperiment(x).ok).toBe(true);
      expect(peftConfigOf(x.peft)).toMatchObject({ peft_type: 'P_TUNING', encoder_reparameterization_type: encoder, num_virtual_tokens: 12, encoder_hidden_size: null });
    });
  }

  it('refuses a method it does not know, by path', () => {
    const x = defaultExperiment() as unknown as { peft: Record<string, unknown> };
    x.peft.method = 'P_TUNING_GRU';
    const v = validateExperiment(x);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.errors[0]).toMatch(/^experiment\.peft\.method must be one of .*P_TUNING_LSTM/);
  });
});
