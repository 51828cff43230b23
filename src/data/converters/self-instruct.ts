/**
 * Self-Instruct task files (Stanford Alpaca / BELLE seed tasks, the Self-Instruct user-oriented test set):
 * `{instruction, instances: [{input, output}]}` -> one record per instance, all with the task's instruction.
 * A task with no instances, or any bad instance, is rejected whole. Not handled: `is_classification` flags.
 */
import { asObject, field, jsonRowsConverter } from './rows';
import { RowError, type Converter } from './types';

export const selfInstructConverter: Converter = {
  shape: 'self-instruct',
  describe: 'Self-Instruct tasks: {instruction, instances: [{input, output}]}, one record per instance',
  convert: jsonRowsConverter('self-instruct', (o) => {
    const instruction = field(o, 'instruction');
    const instances = o.instances;
    if (!Array.isArray(instances) || !instances.length) throw new RowError('"instances" is missing or empty');
    return instances.map((x, i) => {
      const inst = asObject(x);
      if (!('output' in inst)) throw new RowError(`instances[${i}] has no "output"`);
      return { instruction, input: field(inst, 'input', { optional: true }), output: field(inst, 'output') };
    });
  }),
};
