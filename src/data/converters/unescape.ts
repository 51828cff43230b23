/**
 * The literal backslash-n quirk of the FLAN CoT TSVs: a newline inside a field is stored as the two characters
 * `\` `n` (TSV has no quoting), and Alpaca-CoT's formatted_cot_data JSON kept those two characters. We turn them
 * back into real newlines, deliberately and only in the CoT converters: elsewhere (code data) `\n` is meant literally.
 * An escaped backslash (`\\n`, three characters) is left alone.
 */

/** `a\nb` (4 chars: a, \, n, b) -> "a" + newline + "b". */
export function unescapeNewlines(s: string): string {
  return s.replace(/(?<!\\)\\n/g, '\n');
}

/** How many literal backslash-n pairs a string holds (for sniffing and reports). */
export function countLiteralNewlines(s: string): number {
  return s.match(/(?<!\\)\\n/g)?.length ?? 0;
}
