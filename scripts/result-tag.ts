/** `--tag NAME` of a study script: a suffix for its result files (`<stem>-<date>-NAME`), so that a rerun keeps earlier records. */
export function resultTag(argv: string[]): string {
  const at = argv.indexOf('--tag');
  if (at < 0) return '';
  const tag = argv[at + 1] ?? '';
  if (!/^[A-Za-z0-9_-]+$/.test(tag)) throw new Error('--tag takes a name of letters, digits, - and _');
  return tag;
}
