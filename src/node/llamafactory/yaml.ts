/**
 * A writer for the flat YAML that LLaMA-Factory's `llamafactory-cli train <yaml>` reads: one `key: value` per line,
 * values a string, number, boolean or null, and `# comment` lines. Strings that YAML could read as something else
 * are double-quoted (JSON's escapes are valid YAML). Floats always carry a '.' and a signed exponent (3e-4 is written
 * 3.0e-4) because PyYAML's YAML 1.1 resolver reads '3e-4' as a string. Not handled: nested maps or lists.
 */

export type YamlScalar = string | number | boolean | null;
export type YamlLine = { key: string; value: YamlScalar } | { comment: string };

/** Words YAML 1.1 resolves to booleans or null, in any case. */
const RESERVED = /^(y|yes|n|no|true|false|on|off|null|~)$/i;
/** A plain scalar we are sure PyYAML keeps as a string: no indicator characters, no leading digit or sign. */
const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./,+-]*$/;

export function yamlString(s: string): string {
  return PLAIN.test(s) && !RESERVED.test(s) ? s : JSON.stringify(s);
}

export function yamlNumber(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`YAML: ${n} is not a finite number`);
  const s = String(n);
  if (!s.includes('e')) return s; // 42, 0.05
  const [mant, exp] = n.toExponential().split('e');
  return `${mant.includes('.') ? mant : `${mant}.0`}e${exp.startsWith('-') ? exp : `+${exp.replace('+', '')}`}`;
}

export function yamlScalar(v: YamlScalar): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return yamlNumber(v);
  return yamlString(v);
}

/** Renders the lines; keys must be identifiers (LLaMA-Factory's argument names are). */
export function toYaml(lines: YamlLine[]): string {
  return lines
    .map((l) => {
      if ('comment' in l) return l.comment ? `# ${l.comment}` : '';
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(l.key)) throw new Error(`YAML: key '${l.key}' is not an identifier`);
      return `${l.key}: ${yamlScalar(l.value)}`;
    })
    .join('\n') + '\n';
}
