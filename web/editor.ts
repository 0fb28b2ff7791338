/**
 * The template editor: CodeMirror 6 with Liquid highlighting (on HTML for the html part, on plain
 * text for the text part), line numbers, undo, search, bracket closing and completion of the
 * template's variables. Only the templates page loads this module, with import(), so esbuild puts
 * it and CodeMirror in a chunk of their own and the other pages stay small.
 *
 * Keyboard: Tab is left to the browser (it moves the focus on, it never gets trapped here); indent
 * with Mod-] and Mod-[. Escape closes the completion list or the search panel.
 *
 * A closer the editor put in by itself (`</p>` after `<p>`, `%}` after `{%`) is typed over, not
 * doubled: typing `</p>` right before it, or `%}` at it, leaves one. The colours follow the
 * system's light or dark mode, as the page's do.
 */
import { basicSetup } from 'codemirror';
import { EditorView, Decoration, type DecorationSet } from '@codemirror/view';
import { Compartment, EditorState, Prec, StateEffect, StateField, type Extension, type Transaction } from '@codemirror/state';
import { HighlightStyle, LanguageSupport, StreamLanguage, syntaxHighlighting } from '@codemirror/language';
import { liquid } from '@codemirror/lang-liquid';
import { tags } from '@lezer/highlight';

export type EditorMode = 'html' | 'text';

/** Where the server found a problem: 1-based line and column, as its errors give them. */
export interface ErrorMark {
  line: number;
  column?: number | undefined;
}

export interface EditorOptions {
  parent: HTMLElement;
  doc: string;
  mode: EditorMode;
  /** The id of the element that names the editor (aria-labelledby of the editable element). */
  labelledBy: string;
  /** Dotted variable paths from the API (`user.email`, `activities[].link`), for completion. */
  variables: readonly string[];
  onChange(doc: string): void;
  onFocus?(): void;
  /** CodeMirror's own words in the page's language (EditorState.phrases); English without. */
  phrases?: Readonly<Record<string, string>> | undefined;
}

export interface EditorHandle {
  getDoc(): string;
  /** A new document with a fresh undo history (another template was chosen). */
  reset(doc: string, variables: readonly string[]): void;
  /** Replaces the whole text as one undoable change (discard, reset to default). */
  replace(doc: string): void;
  /** Puts `text` where the cursor is (over the selection), the cursor `cursor` characters into it (default: after it), and focuses the editor. */
  insert(text: string, cursor?: number): void;
  /** Marks the line (and the column) of an error, or clears the mark with null. */
  markError(mark: ErrorMark | null, options?: { reveal?: boolean }): void;
  /** aria-describedby and aria-invalid of the editable element. */
  describe(describedBy: string | null, invalid: boolean): void;
  focus(): void;
  destroy(): void;
}

const setError = StateEffect.define<ErrorMark | null>();

const errorLine = Decoration.line({ class: 'cm-tpl-error-line' });
const errorMark = Decoration.mark({ class: 'cm-tpl-error-mark' });

/** The error's decorations: the whole line, and the characters from the column to the word's end. */
function errorDecorations(state: EditorState, mark: ErrorMark): DecorationSet {
  const lineNo = Math.min(Math.max(1, mark.line), state.doc.lines);
  const line = state.doc.line(lineNo);
  const ranges = [errorLine.range(line.from)];
  if (mark.column !== undefined && line.length > 0) {
    const from = line.from + Math.min(Math.max(0, mark.column - 1), line.length - 1);
    const rest = state.doc.sliceString(from, line.to);
    const word = /^\S+/.exec(rest)?.[0].length ?? 1;
    ranges.push(errorMark.range(from, Math.min(line.to, from + Math.min(word, 40))));
  }
  return Decoration.set(ranges, true);
}

const errorField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(value, tr) {
    let next = value.map(tr.changes);
    for (const effect of tr.effects) {
      if (effect.is(setError)) next = effect.value ? errorDecorations(tr.state, effect.value) : Decoration.none;
    }
    return next;
  },
  provide: (field) => EditorView.decorations.from(field),
});

/** Plain text under the Liquid tags: a language that marks nothing. */
const plainText = new LanguageSupport(
  StreamLanguage.define<null>({
    name: 'text',
    startState: () => null,
    token(stream) {
      stream.skipToEnd();
      return null;
    },
  }),
);

type LiquidConfig = NonNullable<Parameters<typeof liquid>[0]>;

/** Completion of `{{ user.` and friends from the API's variable paths (list fields are left out: their loop variable has a name of the author's choosing). */
function liquidFor(mode: EditorMode, variables: readonly string[]): Extension {
  const tree = new Map<string, Set<string>>();
  for (const path of variables) {
    if (path.includes('[]')) continue;
    const parts = path.split('.');
    for (let i = 0; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('.');
      let children = tree.get(parent);
      if (!children) tree.set(parent, (children = new Set()));
      children.add(parts[i] as string);
    }
  }
  const completions = (parent: string) => [...(tree.get(parent) ?? [])].map((label) => ({ label, type: tree.has(parent ? `${parent}.${label}` : label) ? 'namespace' : 'variable' }));
  const config: LiquidConfig = {
    variables: completions(''),
    properties: (path) => completions(path.join('.')),
  };
  return liquid(mode === 'text' ? { ...config, base: plainText } : config);
}

/**
 * A closer the editor inserted by itself and the author has not touched: `</p>` (lang-html's tag
 * closing) is replaced when the author types the same closer right before it; `%}` (lang-liquid's
 * `{%` → `{%%}`) is stepped over character by character.
 */
interface AutoCloser {
  from: number;
  to: number;
  kind: 'tag' | 'step';
}

/** The closers a transaction inserted by itself, in the new document's positions. */
function insertedClosers(tr: Transaction): AutoCloser[] {
  const found: AutoCloser[] = [];
  const tag = tr.isUserEvent('input.complete');
  const typed = tr.isUserEvent('input.type');
  if (!tag && !typed) return found;
  tr.changes.iterChanges((_fromA, _toA, fromB, _toB, inserted) => {
    const text = inserted.toString();
    if (tag && /^<\/[\w:.-]+>$/.test(text)) found.push({ from: fromB, to: fromB + text.length, kind: 'tag' });
    // lang-liquid's closePercentBrace: `{|}` became `{%|%}`; the second `%` and the `}` are the closer.
    else if (typed && text === '%%' && tr.newDoc.sliceString(fromB - 1, fromB + 3) === '{%%}') found.push({ from: fromB + 1, to: fromB + 3, kind: 'step' });
  });
  return found;
}

const autoClosers = StateField.define<readonly AutoCloser[]>({
  create: () => [],
  update(value, tr) {
    if (!tr.docChanged) return value;
    const kept: AutoCloser[] = [];
    for (const c of value) {
      let touched = false;
      tr.changes.iterChangedRanges((fromA, toA) => {
        if (fromA < c.to && toA > c.from) touched = true;
      });
      if (touched) continue;
      const from = tr.changes.mapPos(c.from, 1);
      const to = tr.changes.mapPos(c.to, -1);
      if (to > from) kept.push({ from, to, kind: c.kind });
    }
    return [...kept, ...insertedClosers(tr)];
  },
});

/** Typing over an auto-inserted closer (runs before lang-html's and closeBrackets' own handlers). */
const typeOverClosers = Prec.highest(
  EditorView.inputHandler.of((view, from, to, text) => {
    if (from !== to || text.length !== 1 || view.composing) return false;
    const doc = view.state.doc;
    const closers = view.state.field(autoClosers);
    const step = closers.find((c) => c.kind === 'step' && from >= c.from && from < c.to);
    if (step && doc.sliceString(from, from + 1) === text) {
      view.dispatch({ selection: { anchor: from + 1 }, userEvent: 'input.type', scrollIntoView: true });
      return true;
    }
    const tag = closers.find((c) => c.kind === 'tag' && c.from === from);
    if (!tag) return false;
    const closer = doc.sliceString(tag.from, tag.to);
    // `</` before the closer: the author is writing that closer, so lang-html must not complete another.
    if (text === '/' && doc.sliceString(from - 1, from) === '<') {
      view.dispatch({ changes: { from, insert: '/' }, selection: { anchor: from + 1 }, userEvent: 'input.type', scrollIntoView: true });
      return true;
    }
    if (text === '>' && `${doc.sliceString(from - (closer.length - 1), from)}>` === closer) {
      view.dispatch({ changes: { from, to: tag.to, insert: '>' }, selection: { anchor: from + 1 }, userEvent: 'input.type', scrollIntoView: true });
      return true;
    }
    return false;
  }),
);

/**
 * Syntax colours for the dark mode, readable on the page's dark card (contrast ≥ 4.5:1 on
 * #1f252c); the light mode keeps CodeMirror's default ones.
 */
const darkHighlight = HighlightStyle.define(
  [
    { tag: [tags.keyword, tags.controlKeyword, tags.operatorKeyword], color: '#d7a6ff' },
    { tag: [tags.tagName, tags.angleBracket], color: '#7fc8ff' },
    { tag: [tags.attributeName, tags.propertyName], color: '#ffc680' },
    { tag: [tags.string, tags.attributeValue], color: '#9fe0a0' },
    { tag: [tags.number, tags.bool, tags.atom], color: '#ffb3a6' },
    { tag: [tags.variableName, tags.definition(tags.variableName)], color: '#8fd6ff' },
    { tag: [tags.brace, tags.bracket, tags.punctuation, tags.operator], color: '#c8d1db' },
    { tag: tags.comment, color: '#a3adb8', fontStyle: 'italic' },
    { tag: tags.invalid, color: '#ff9b94' },
  ],
  { themeType: 'dark' },
);

const darkTheme: Extension = [
  EditorView.theme(
    {
      '&': { backgroundColor: '#1f252c', color: '#e7ebf0' },
      '.cm-content': { caretColor: '#e7ebf0' },
      '.cm-cursor, .cm-dropCursor': { borderLeftColor: '#e7ebf0' },
      '.cm-gutters': { backgroundColor: '#171c21', color: '#aab4bf', borderRightColor: '#39424d' },
      '.cm-activeLine': { backgroundColor: '#ffffff0d' },
      '.cm-activeLineGutter': { backgroundColor: '#ffffff14' },
      '&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection': { backgroundColor: '#2f4a6b' },
      '.cm-tpl-error-line': { backgroundColor: '#3b1a18' },
      '.cm-tooltip': { backgroundColor: '#1f252c', color: '#e7ebf0', border: '1px solid #39424d' },
      '.cm-tooltip-autocomplete ul li[aria-selected]': { backgroundColor: '#2f4a6b', color: '#ffffff' },
      '.cm-panels': { backgroundColor: '#171c21', color: '#e7ebf0' },
      '.cm-matchingBracket': { backgroundColor: '#3a4757', outline: '1px solid #6aa8f0' },
    },
    { dark: true },
  ),
  syntaxHighlighting(darkHighlight),
];

const darkQuery = '(prefers-color-scheme: dark)';
const schemeTheme = (dark: boolean): Extension => (dark ? darkTheme : []);

const theme = EditorView.theme({
  '&': { fontSize: '0.9rem' },
  '.cm-content': { fontFamily: 'var(--mono)' },
  '.cm-gutters': { fontFamily: 'var(--mono)' },
});

export function createEditor(options: EditorOptions): EditorHandle {
  const description = new Compartment();
  const scheme = new Compartment();
  const media = window.matchMedia(darkQuery);
  const describeAttrs = (describedBy: string | null, invalid: boolean) => EditorView.contentAttributes.of({ ...(describedBy ? { 'aria-describedby': describedBy } : {}), ...(invalid ? { 'aria-invalid': 'true' } : {}) });

  const makeState = (doc: string, variables: readonly string[], describedBy: Extension) =>
    EditorState.create({
      doc,
      extensions: [
        basicSetup,
        ...(options.phrases ? [EditorState.phrases.of(options.phrases)] : []),
        liquidFor(options.mode, variables),
        description.of(describedBy),
        errorField,
        autoClosers,
        typeOverClosers,
        theme,
        scheme.of(schemeTheme(media.matches)),
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({ 'aria-labelledby': options.labelledBy }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) options.onChange(update.state.doc.toString());
          if (update.focusChanged && update.view.hasFocus) options.onFocus?.();
        }),
      ],
    });

  const view = new EditorView({ state: makeState(options.doc, options.variables, describeAttrs(null, false)), parent: options.parent });
  let currentDescription: Extension = describeAttrs(null, false);
  const followScheme = (event: MediaQueryListEvent) => view.dispatch({ effects: scheme.reconfigure(schemeTheme(event.matches)) });
  media.addEventListener('change', followScheme);

  return {
    getDoc: () => view.state.doc.toString(),
    reset(doc, variables) {
      view.setState(makeState(doc, variables, currentDescription));
    },
    replace(doc) {
      if (doc === view.state.doc.toString()) return;
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: doc } });
    },
    insert(text, cursor = text.length) {
      const { from, to } = view.state.selection.main;
      view.dispatch({ changes: { from, to, insert: text }, selection: { anchor: from + cursor }, scrollIntoView: true, userEvent: 'input' });
      view.focus();
    },
    markError(mark, opts = {}) {
      const effects: StateEffect<unknown>[] = [setError.of(mark)];
      if (mark && opts.reveal) {
        const line = view.state.doc.line(Math.min(Math.max(1, mark.line), view.state.doc.lines));
        const at = line.from + Math.min(Math.max(0, (mark.column ?? 1) - 1), line.length);
        view.dispatch({ effects, selection: { anchor: at }, scrollIntoView: true });
        return;
      }
      view.dispatch({ effects });
    },
    describe(describedBy, invalid) {
      currentDescription = describeAttrs(describedBy, invalid);
      view.dispatch({ effects: description.reconfigure(currentDescription) });
    },
    focus: () => view.focus(),
    destroy() {
      media.removeEventListener('change', followScheme);
      view.destroy();
    },
  };
}
