/** The plain text of a mail whose text part is empty: derived from its rendered HTML. */
export async function textFromHtml(html: string): Promise<string> {
  // Loaded on first use: a worker that only sends queued mail never needs it (~11 MiB).
  const { convert } = await import('html-to-text');
  return convert(html, { wordwrap: 76, selectors: [{ selector: 'img', format: 'skip' }] });
}
