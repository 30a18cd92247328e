/** explain's text, cut into its sections (a title line, then indented lines), so the page shows its words verbatim. Pure. */
export function textSection(text: string, title: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(title));
  if (start < 0) return [];
  const body: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (l.trim() === '') break;
    body.push(l.trim());
  }
  return body;
}
