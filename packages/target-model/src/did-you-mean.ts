/** Levenshtein distance between two strings (insertions, deletions, substitutions). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The closest known name to a mistyped one, when it is close enough to be a likely typo and no
 * other name is as close: `x86-64-v4` is one edit from both `x86-64-v2` and `x86-64-v3`, and
 * suggesting either would guess.
 */
export function didYouMean(input: string, known: readonly string[]): string | undefined {
  const needle = input.toLowerCase();
  const distances = known.map((name) => ({ name, distance: editDistance(needle, name.toLowerCase()) }));
  const best = Math.min(...distances.map((candidate) => candidate.distance));
  const closest = distances.filter((candidate) => candidate.distance === best);
  const tolerance = Math.max(2, Math.floor(needle.length / 3));
  return closest.length === 1 && best <= tolerance ? closest[0]!.name : undefined;
}

/**
 * The one wording for a value that is not among the choices, wherever it comes from (a flag, a
 * prompt, a Cargo.toml): `unknown boot protocol 'limin' (known: multiboot2, limine); did you mean 'limine'?`.
 */
export function unknownChoice(kind: string, value: string, known: readonly string[]): string {
  const suggestion = didYouMean(value, known);
  const hint = suggestion ? `; did you mean '${suggestion}'?` : '';
  return `unknown ${kind} '${value}' (known: ${known.join(', ')})${hint}`;
}
