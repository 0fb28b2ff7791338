import { useEffect, useRef, useState } from 'preact/hooks';
import en from '../../catalogs/en.json' with { type: 'json' };
import { useI18n, type MessageKey } from '../../i18n.ts';
import type { EditorHandle, EditorMode, ErrorMark } from '../../editor.ts';

/** CodeMirror's own words (search panel, go to line, folding): the catalogs' editor.<English phrase>. */
const EDITOR_PHRASES = Object.keys(en).filter((key) => key.startsWith('editor.')) as MessageKey[];

/** The editor module (CodeMirror), loaded once, when this page first needs it: a chunk of its own. */
let editorModule: Promise<typeof import('../../editor.ts')> | undefined;
export const loadEditor = () => (editorModule ??= import('../../editor.ts'));

/**
 * One CodeMirror editor in a wrapper `#editor-html` / `#editor-text`. For tests: the editable
 * element is `#editor-html .cm-content` (contenteditable: Playwright's fill() replaces the text,
 * type() types like a person, with HTML tags and brackets closed automatically); the hidden
 * `<textarea id="editor-html-value">` always holds the current text, and an `input` event on it
 * after changing its value replaces the editor's text. Without the editor module (it failed to
 * load), a plain textarea takes its place.
 */
export function CodeEditor(props: { part: EditorMode; docKey: string; revision: number; value: string; variables: readonly string[]; error: ErrorMark | null; reveal: number; describedBy: string; invalid: boolean; onChange(value: string): void; onFocus(): void; onReady(handle: EditorHandle | null): void }) {
  const { t, language } = useI18n();
  const host = useRef<HTMLDivElement>(null);
  const handle = useRef<EditorHandle | null>(null);
  const latest = useRef(props);
  latest.current = props;
  const shownKey = useRef(props.docKey);
  const [state, setState] = useState<'loading' | 'ready' | 'failed'>('loading');
  const labelId = `editor-${props.part}-label`;

  useEffect(() => {
    let cancelled = false;
    loadEditor()
      .then((m) => {
        if (cancelled || !host.current) return;
        const p = latest.current;
        handle.current = m.createEditor({
          parent: host.current,
          doc: p.value,
          mode: p.part,
          labelledBy: labelId,
          variables: p.variables,
          onChange: (doc) => latest.current.onChange(doc),
          onFocus: () => latest.current.onFocus(),
          phrases: language === 'en' ? undefined : Object.fromEntries(EDITOR_PHRASES.map((key) => [key.slice('editor.'.length), t(key)])),
        });
        shownKey.current = p.docKey;
        p.onReady(handle.current);
        setState('ready');
      })
      .catch(() => {
        if (!cancelled) setState('failed');
      });
    return () => {
      cancelled = true;
      handle.current?.destroy();
      handle.current = null;
      latest.current.onReady(null);
    };
  }, []);

  // The editor owns its text while it is typed in: `value` follows it, a render behind. Only
  // another template (a new document with its own undo history) or a replacement from outside
  // (discard, reset: `revision` counts them) puts `value` into the editor.
  useEffect(() => {
    const h = handle.current;
    if (!h || shownKey.current === props.docKey) return;
    shownKey.current = props.docKey;
    h.reset(props.value, props.variables);
  }, [state, props.docKey]);
  useEffect(() => {
    handle.current?.replace(latest.current.value);
  }, [props.revision]);

  useEffect(() => {
    handle.current?.markError(props.error, { reveal: props.reveal > 0 });
  }, [state, props.docKey, props.error?.line, props.error?.column, props.reveal]);

  useEffect(() => {
    handle.current?.describe(props.describedBy, props.invalid);
  }, [state, props.describedBy, props.invalid]);

  return (
    <div id={`editor-${props.part}`} class="tpl-editor" data-state={state}>
      {state === 'failed' ? (
        <textarea class="tpl-fallback" rows={14} spellcheck={false} aria-labelledby={labelId} aria-describedby={props.describedBy} aria-invalid={props.invalid || undefined} value={props.value} onInput={(e) => props.onChange(e.currentTarget.value)} onFocus={props.onFocus} />
      ) : (
        <div ref={host} class="tpl-editor-host">
          {state === 'loading' && <p class="hint">{t('editorLoading')}</p>}
        </div>
      )}
      <textarea
        id={`editor-${props.part}-value`}
        hidden
        value={props.value}
        onInput={(e) => {
          const text = e.currentTarget.value;
          if (handle.current) handle.current.replace(text);
          else props.onChange(text);
        }}
      />
    </div>
  );
}
