// Column alignment as Go's text/tabwriter does it for the docker CLI (minwidth 10, padding 3,
// padchar ' '): every tab-terminated cell of a column is padded to max(widest cell + 3, 10); the
// text after a line's last tab is not a cell and is printed as is.
export function tabwrite(text: string, o: { minWidth?: number; padding?: number } = {}): string {
  const minWidth = o.minWidth ?? 10;
  const padding = o.padding ?? 3;
  const endsWithNewline = text.endsWith('\n');
  const lines = (endsWithNewline ? text.slice(0, -1) : text).split('\n').map((l) => l.split('\t'));
  const widths: number[] = [];
  for (const cells of lines) {
    for (let j = 0; j < cells.length - 1; j++) widths[j] = Math.max(widths[j] ?? 0, [...cells[j]].length);
  }
  const out = lines.map((cells) =>
    cells.map((c, j) => (j === cells.length - 1 ? c : c + ' '.repeat(Math.max(minWidth, widths[j] + padding) - [...c].length))).join(''),
  );
  return out.join('\n') + (endsWithNewline ? '\n' : '');
}
