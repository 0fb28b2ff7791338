import type { MessageNode } from '../src/domain/message-format.ts';

/**
 * The pseudo-locale en-XA (the tag Chrome and Android use for it): every English string with its
 * letters accented, in brackets, and 40 % longer, the way German or Russian texts run longer than
 * English. A page that shows it without clipped or overlapping text has room for real
 * translations, and a string that is still plain English in it is not in the catalog.
 */
export const PSEUDO_LOCALE = 'en-XA';

const ACCENTED: Readonly<Record<string, string>> = Object.fromEntries([...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'].map((c, i) => [c, [...'åƀçđéƒĝĥîĵķļɱñöþǫŕšţûṽŵẋýžÅƁÇĐÉƑĜĤÎĴĶĻṀÑÖÞǪŔŠŢÛṼŴẊÝŽ'][i] as string]));

const LONGER_BY = 0.4;

function textLength(nodes: readonly MessageNode[]): number {
  let length = 0;
  for (const node of nodes) {
    if (node.kind === 'text') length += node.value.length;
    else if (node.kind === 'tag') length += textLength(node.children);
    else if (node.kind === 'plural' || node.kind === 'select') length += Math.max(0, ...node.options.map(([, option]) => textLength(option)));
    else length += 6; // a value: a name, a number
  }
  return length;
}

function accented(nodes: readonly MessageNode[]): MessageNode[] {
  return nodes.map((node): MessageNode => {
    switch (node.kind) {
      case 'text':
        return { kind: 'text', value: node.value.replace(/[A-Za-z]/g, (c) => ACCENTED[c] ?? c) };
      case 'tag':
        return { ...node, children: accented(node.children) };
      case 'plural':
      case 'select':
        return { ...node, options: node.options.map(([key, option]) => [key, accented(option)] as const) };
      default:
        return node;
    }
  });
}

/** The message as the pseudo-locale shows it: "[Šåṽé ·········]" for "Save". */
export function pseudoMessage(nodes: readonly MessageNode[]): MessageNode[] {
  const padding = Math.max(1, Math.round(textLength(nodes) * LONGER_BY) - 2);
  // Words of ~6 letters, so the added length wraps where a long translation would.
  const filler = Array.from({ length: padding }, (_, i) => (i % 7 === 6 ? ' ' : '·')).join('');
  return [{ kind: 'text', value: '[' }, ...accented(nodes), { kind: 'text', value: ` ${filler}]` }];
}
