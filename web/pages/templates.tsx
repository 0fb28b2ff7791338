import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, ApiError, type TestMailReport } from '../api.ts';
import { Notice, PageTitle, SaveStatus, TestFailure, useTestSend, type SaveState } from '../components.tsx';
import { isLanguage, useI18n, type MessageKey } from '../i18n.ts';
import { languageName, useMailLanguages } from '../mail-languages.ts';
import en from '../catalogs/en.json' with { type: 'json' };
import { lineDiff } from '../line-diff.ts';
import { useLeaveGuard } from '../router.ts';
import { useSession } from '../session.ts';
import type { EditorHandle, EditorMode, ErrorMark } from '../editor.ts';

/** CodeMirror's own words (search panel, go to line, folding): the catalogs' editor.<English phrase>. */
const EDITOR_PHRASES = Object.keys(en).filter((key) => key.startsWith('editor.')) as MessageKey[];

/** The answers of /api/v1/templates (src/templates/template-service.ts). */
interface TemplateSummary {
  name: string;
  lang: string;
  description: string;
  customized: boolean;
  updatedAt: string | null;
  updatedBy: string | null;
  variables: string[];
}

interface Parts {
  subject: string;
  html: string;
  text: string;
}

interface TemplateVersion {
  id: number;
  action: 'set' | 'reset' | 'restore';
  createdBy: string;
  createdAt: string;
  /** On a restore: the version it brought back. */
  restoredFrom?: number;
}

/** GET /templates/:name/:lang/versions/:id → { version }. */
interface VersionView {
  id: number;
  action: TemplateVersion['action'];
  createdBy: string;
  createdAt: string;
  subject: string;
  html: string;
  text: string;
}

interface TemplateDetail {
  name: string;
  lang: string;
  description: string;
  variables: string[];
  customized: boolean;
  parts: Parts;
  versions: TemplateVersion[];
}

interface Preview {
  subject: string;
  html?: string;
  text?: string;
}

type Part = keyof Parts;
const PARTS: readonly Part[] = ['subject', 'html', 'text'];

/** A draft the server refused (preview or save): which part, where, and why. */
interface DraftError {
  part: Part | null;
  line?: number | undefined;
  column?: number | undefined;
  message: string;
}

/**
 * The error of a 400 (or 413) answer about a part: `details.part` names it (else the message's
 * "html: …" prefix), `details.line`/`column` place it (else the message's "line 3, column 22: ").
 * Other failures (network, 500) are not draft errors: null.
 */
function draftErrorOf(error: unknown): DraftError | null {
  if (!(error instanceof ApiError) || (error.status !== 400 && error.status !== 413)) return null;
  const details = error.details ?? {};
  let message = error.message;
  let part: Part | null = typeof details.part === 'string' && (PARTS as readonly string[]).includes(details.part) ? (details.part as Part) : null;
  const prefix = /^(subject|html|text): /.exec(message);
  if (prefix) {
    part ??= prefix[1] as Part;
    message = message.slice(prefix[0].length);
  }
  let line = typeof details.line === 'number' ? details.line : undefined;
  let column = typeof details.column === 'number' ? details.column : undefined;
  const at = /^line (\d+), column (\d+): /.exec(message);
  if (at) {
    line ??= Number(at[1]);
    column ??= Number(at[2]);
    message = message.slice(at[0].length);
  }
  if (part === null && details.field === 'subject') part = 'subject';
  return { part, line, column, message };
}

const keyOf = (name: string, lang: string) => `${name}/${lang}`;
const sameParts = (a: Parts, b: Parts) => a.subject === b.subject && a.html === b.html && a.text === b.text;

/** What a variable button inserts: `{{ user.email }}`; a list's loop; a list field as the loop variable's (`a.link`). */
function variableEntry(path: string): { label: string; insert: string; list?: string } {
  const listField = /^(\w+)\[\]\.(.+)$/.exec(path);
  if (listField) {
    const list = listField[1] as string;
    const label = `${list.slice(0, 1)}.${listField[2] as string}`;
    return { label, insert: `{{ ${label} }}`, list };
  }
  return { label: path, insert: `{{ ${path} }}` };
}

/** The editor module (CodeMirror), loaded once, when this page first needs it: a chunk of its own. */
let editorModule: Promise<typeof import('../editor.ts')> | undefined;
const loadEditor = () => (editorModule ??= import('../editor.ts'));

/**
 * Admin → Email templates: choose a template and language, edit its subject, HTML and text with
 * Liquid highlighting, see it rendered with sample data as you type (errors marked at their line),
 * save (a new version), reset to the shipped default, look at the versions and send a test.
 * Drafts are kept per template and language while the page is open, so switching loses nothing.
 */
export function TemplatesPage() {
  const { t, language } = useI18n();
  const { user } = useSession();
  const mailLanguages = useMailLanguages();
  const [summaries, setSummaries] = useState<TemplateSummary[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const initial = useMemo(() => new URLSearchParams(location.search), []);
  const [name, setName] = useState<string>(initial.get('template') ?? '');
  const [lang, setLang] = useState<string>(initial.get('lang') ?? (isLanguage(user.language) ? user.language : 'en'));
  const [details, setDetails] = useState<Record<string, TemplateDetail>>({});
  const [drafts, setDrafts] = useState<Record<string, Parts>>({});
  const [saveState, setSaveState] = useState<SaveState>({ kind: 'idle' });
  const [error, setError] = useState<(DraftError & { reveal: number }) | null>(null);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [previewState, setPreviewState] = useState<'pending' | 'ready' | 'error'>('pending');
  const [previewFailure, setPreviewFailure] = useState<string | null>(null);
  const [format, setFormat] = useState<'html' | 'text'>('html');
  const [confirmReset, setConfirmReset] = useState(false);
  const [busy, setBusy] = useState<'save' | 'reset' | 'restore' | null>(null);
  const [notice, setNotice] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  /** Counts replacements of the draft from outside the editors (discard, reset): they then take the draft's text. */
  const [revision, setRevision] = useState(0);
  const lastPart = useRef<Part>('html');
  const editors = useRef<Partial<Record<'html' | 'text', EditorHandle>>>({});
  const subjectInput = useRef<HTMLInputElement>(null);
  const noticeRef = useRef<HTMLDivElement>(null);
  const confirmButton = useRef<HTMLButtonElement>(null);
  const resetButton = useRef<HTMLButtonElement>(null);
  const previewSeq = useRef(0);
  const previewKey = useRef('');

  // Start fetching CodeMirror at once, alongside the list.
  useEffect(() => void loadEditor().catch(() => undefined), []);

  useEffect(() => {
    api<{ templates: TemplateSummary[] }>('GET', '/templates')
      .then((r) => {
        setSummaries(r.templates);
        const names = [...new Set(r.templates.map((s) => s.name))];
        const langs = [...new Set(r.templates.map((s) => s.lang))];
        setName((n) => (names.includes(n) ? n : (names[0] ?? '')));
        setLang((l) => (langs.includes(l) ? l : (langs[0] ?? 'en')));
      })
      .catch((e: Error) => setLoadError(e.message));
  }, []);

  const key = keyOf(name, lang);
  const detail = details[key];
  const draft = drafts[key];
  const dirty = detail !== undefined && draft !== undefined && !sameParts(detail.parts, draft);
  // Drafts of other templates and languages count too: switching keeps them, leaving would not.
  const anyDirty = Object.entries(drafts).some(([k, d]) => details[k] !== undefined && !sameParts((details[k] as TemplateDetail).parts, d));
  useLeaveGuard(anyDirty ? t('templateLeaveUnsaved') : null);

  // The chosen template: in the address (so it can be linked to and survives a reload), and loaded once.
  useEffect(() => {
    if (!summaries || !name) return;
    history.replaceState(history.state, '', `${location.pathname}?${new URLSearchParams({ template: name, lang }).toString()}`);
    setError(null);
    setSaveState({ kind: 'idle' });
    setNotice(null);
    setConfirmReset(false);
    if (details[key]) return;
    api<TemplateDetail>('GET', `/templates/${encodeURIComponent(name)}/${encodeURIComponent(lang)}`)
      .then((d) => {
        setDetails((all) => ({ ...all, [key]: d }));
        setDrafts((all) => (all[key] ? all : { ...all, [key]: d.parts }));
      })
      .catch((e: Error) => setLoadError(e.message));
  }, [summaries !== null, key]);

  // The live preview: the draft rendered with sample data, 300 ms after the last keystroke (at once
  // for a newly chosen template). An answer that is no longer the newest request's is dropped.
  useEffect(() => {
    if (!draft) return;
    const seq = ++previewSeq.current;
    const switched = previewKey.current !== key;
    previewKey.current = key;
    if (switched) setPreview(null);
    setPreviewState('pending');
    const timer = setTimeout(
      () => {
        api<Preview>('POST', `/templates/${encodeURIComponent(name)}/${encodeURIComponent(lang)}/preview`, draft)
          .then((p) => {
            if (seq !== previewSeq.current) return;
            setPreview(p);
            setPreviewFailure(null);
            setPreviewState('ready');
            setError(null);
          })
          .catch((e: unknown) => {
            if (seq !== previewSeq.current) return;
            setPreviewState('error');
            const found = draftErrorOf(e);
            if (found) {
              setPreviewFailure(null);
              setError({ ...found, reveal: 0 });
            } else {
              setPreviewFailure((e as Error).message);
            }
          });
      },
      switched ? 0 : 300,
    );
    return () => clearTimeout(timer);
  }, [key, draft?.subject, draft?.html, draft?.text]);

  useEffect(() => {
    if (confirmReset) confirmButton.current?.focus();
  }, [confirmReset]);

  if (loadError) return <Notice kind="error">{t('errorGeneric', { message: loadError })}</Notice>;
  if (!summaries) return <p>{t('loading')}</p>;

  const names = [...new Set(summaries.map((s) => s.name))];
  const langs = [...new Set(summaries.map((s) => s.lang))];
  const summary = summaries.find((s) => s.name === name && s.lang === lang);
  const customized = detail?.customized ?? summary?.customized ?? false;
  const variables = detail?.variables ?? summary?.variables ?? [];
  const path = `/templates/${encodeURIComponent(name)}/${encodeURIComponent(lang)}`;
  const templateLabel = (n: string) => {
    const k = `templateName_${n}` as MessageKey;
    const text = t(k);
    return text === k || text === undefined ? n : text;
  };
  const describe = (n: string) => {
    const k = `templateDesc_${n}` as MessageKey;
    const text = t(k);
    return text === k || text === undefined ? (summary?.description ?? '') : text;
  };

  const setPart = (part: Part, value: string) => {
    setDrafts((all) => {
      const current = all[key];
      if (!current || current[part] === value) return all;
      return { ...all, [key]: { ...current, [part]: value } };
    });
    setSaveState((s) => (s.kind === 'saved' ? { kind: 'idle' } : s));
  };

  /** Inserts `text` where the cursor last was, leaving the cursor `cursor` characters into it (default: after it). */
  const insertVariable = (text: string, cursor = text.length) => {
    const part = lastPart.current;
    if (part === 'subject') {
      const input = subjectInput.current;
      if (!input || !draft) return;
      const from = input.selectionStart ?? input.value.length;
      const to = input.selectionEnd ?? from;
      setPart('subject', input.value.slice(0, from) + text + input.value.slice(to));
      input.focus();
      requestAnimationFrame(() => input.setSelectionRange(from + cursor, from + cursor));
      return;
    }
    editors.current[part]?.insert(text, cursor);
  };

  /** Shows a refused draft at its place: the message, the line marked, the field focused there. */
  const showSaveError = (found: DraftError) => {
    setError((e) => ({ ...found, reveal: (e?.reveal ?? 0) + 1 }));
    setSaveState({ kind: 'error', message: t('templateNotSaved') });
    if (found.part === 'subject') subjectInput.current?.focus();
    else if (found.part) editors.current[found.part]?.focus();
  };

  const save = async (event: Event) => {
    event.preventDefault();
    if (!draft || busy) return;
    setBusy('save');
    setSaveState({ kind: 'saving' });
    setNotice(null);
    setConfirmReset(false);
    try {
      const d = await api<TemplateDetail>('PUT', path, { subject: draft.subject, html: draft.html, text: draft.text });
      setDetails((all) => ({ ...all, [key]: d }));
      setSummaries((all) => all && all.map((s) => (s.name === name && s.lang === lang ? { ...s, customized: d.customized } : s)));
      setError(null);
      setSaveState({ kind: 'saved' });
    } catch (e) {
      const found = draftErrorOf(e);
      if (found) showSaveError(found);
      else setSaveState({ kind: 'error', message: t('errorGeneric', { message: (e as Error).message }) });
    } finally {
      setBusy(null);
    }
  };

  const reset = async () => {
    setBusy('reset');
    setSaveState({ kind: 'idle' });
    try {
      const d = await api<TemplateDetail>('DELETE', path);
      setDetails((all) => ({ ...all, [key]: d }));
      setDrafts((all) => ({ ...all, [key]: d.parts }));
      setRevision((r) => r + 1);
      setSummaries((all) => all && all.map((s) => (s.name === name && s.lang === lang ? { ...s, customized: d.customized } : s)));
      setError(null);
      setNotice({ kind: 'ok', text: t('templateResetDone') });
    } catch (e) {
      setNotice({ kind: 'error', text: t('errorGeneric', { message: (e as Error).message }) });
    } finally {
      setBusy(null);
      setConfirmReset(false);
      requestAnimationFrame(() => noticeRef.current?.focus());
    }
  };

  /**
   * Brings an older version back as a new one. The editors then show it (unsaved changes are
   * replaced: the confirmation says so) and the history the new version. A version that no longer
   * passes the checks is refused: the message goes back to the history, nothing changes.
   */
  const restore = async (id: number): Promise<string | null> => {
    setBusy('restore');
    setSaveState({ kind: 'idle' });
    setConfirmReset(false);
    try {
      const d = await api<TemplateDetail>('POST', `${path}/versions/${id}/restore`);
      setDetails((all) => ({ ...all, [key]: d }));
      setDrafts((all) => ({ ...all, [key]: d.parts }));
      setRevision((r) => r + 1);
      setSummaries((all) => all && all.map((s) => (s.name === name && s.lang === lang ? { ...s, customized: d.customized } : s)));
      setError(null);
      setNotice({ kind: 'ok', text: t('templateVersionRestored', { id, newId: d.versions[0]?.id ?? '?' }) });
      requestAnimationFrame(() => noticeRef.current?.focus());
      return null;
    } catch (e) {
      return t('templateVersionRestoreRefused', { id, message: (e as Error).message });
    } finally {
      setBusy(null);
    }
  };

  const discard = () => {
    if (!detail) return;
    setDrafts((all) => ({ ...all, [key]: detail.parts }));
    setRevision((r) => r + 1);
    setSaveState({ kind: 'idle' });
    setError(null);
  };

  /** The error message, under the part it is in (or under the buttons when it names no part). */
  const errorFor = (part: Part | null) => {
    if (!error || error.part !== part) return null;
    return (
      <p id="template-error" class="template-error" role="alert">
        {error.line !== undefined
          ? t('templateErrorAt', { line: error.line, column: error.column ?? 1, message: error.message })
          : part
            ? `${t(part === 'subject' ? 'templateSubject' : part === 'html' ? 'templateHtml' : 'templatePreviewText')}: ${error.message}`
            : error.message}
      </p>
    );
  };
  const errorMark = (part: Part): ErrorMark | null => (error && error.part === part && error.line !== undefined ? { line: error.line, column: error.column } : null);

  return (
    <div class="tpl-page">
      <PageTitle>{t('templatesTitle')}</PageTitle>
      <p class="intro">{t('templatesIntro')}</p>

      <form class="settings tpl-pick" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="template-name">{t('templateChoose')}</label>
          <select id="template-name" value={name} onChange={(e) => setName(e.currentTarget.value)}>
            {names.map((n) => (
              <option value={n} key={n}>
                {templateLabel(n)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="template-lang">{t('templateLanguage')}</label>
          <select id="template-lang" value={lang} onChange={(e) => setLang(e.currentTarget.value)}>
            {langs.map((l) => {
              const s = summaries.find((x) => x.name === name && x.lang === l);
              const edited = drafts[keyOf(name, l)] && details[keyOf(name, l)] && !sameParts(drafts[keyOf(name, l)] as Parts, (details[keyOf(name, l)] as TemplateDetail).parts);
              return (
                <option value={l} key={l}>
                  {languageName(mailLanguages, l)}
                  {' · '}
                  {s?.customized ? t('templateCustomized') : t('templateDefault')}
                  {edited ? ` · ${t('templateUnsaved')}` : ''}
                </option>
              );
            })}
          </select>
        </div>
        <p class="tpl-about" id="template-about">
          {describe(name)}{' '}
          <span id="template-state" class={`badge ${customized ? 'customized' : ''}`}>
            {customized ? t('templateCustomized') : t('templateDefault')}
          </span>{' '}
          {dirty && (
            <span id="template-unsaved" class="badge unsaved">
              {t('templateUnsaved')}
            </span>
          )}
        </p>
      </form>

      {!detail || !draft ? (
        <p>{t('loading')}</p>
      ) : (
        <div class="tpl-layout">
          <form class="settings tpl-edit" onSubmit={save} aria-labelledby="tpl-edit-title" noValidate>
            <h2 id="tpl-edit-title" class="visually-hidden">
              {templateLabel(name)} · {languageName(mailLanguages, lang)}
            </h2>
            <Variables variables={variables} onInsert={insertVariable} />

            <div class="field">
              <label for="template-subject">{t('templateSubject')}</label>
              <input
                id="template-subject"
                ref={subjectInput}
                value={draft.subject}
                autocomplete="off"
                spellcheck={false}
                aria-invalid={error?.part === 'subject' ? true : undefined}
                aria-describedby={error?.part === 'subject' ? 'template-error' : undefined}
                onInput={(e) => setPart('subject', e.currentTarget.value)}
                onFocus={() => (lastPart.current = 'subject')}
              />
              {errorFor('subject')}
            </div>

            {(['html', 'text'] as const).map((part) => (
              <div class="field" key={part}>
                <span class="label" id={`editor-${part}-label`} onClick={() => editors.current[part]?.focus()}>
                  {t(part === 'html' ? 'templateHtml' : 'templateText')}
                </span>
                <CodeEditor
                  part={part}
                  docKey={key}
                  revision={revision}
                  value={draft[part]}
                  variables={variables}
                  error={errorMark(part)}
                  reveal={error?.part === part ? error.reveal : 0}
                  describedBy={['template-editor-help', error?.part === part ? 'template-error' : ''].filter(Boolean).join(' ')}
                  invalid={error?.part === part}
                  onChange={(value) => setPart(part, value)}
                  onFocus={() => (lastPart.current = part)}
                  onReady={(handle) => {
                    if (handle) editors.current[part] = handle;
                    else delete editors.current[part];
                  }}
                />
                {errorFor(part)}
              </div>
            ))}
            <p class="hint" id="template-editor-help">
              {t('templateEditorHelp')}
            </p>

            <div class="actions">
              <button type="submit" id="template-save" class="primary" disabled={busy !== null}>
                {t('templateSave')}
              </button>
              {dirty && (
                <button type="button" id="template-discard" onClick={discard} disabled={busy !== null}>
                  {t('templateDiscard')}
                </button>
              )}
              <button
                type="button"
                id="template-reset"
                class="danger"
                ref={resetButton}
                disabled={busy !== null || !customized}
                aria-expanded={confirmReset}
                aria-controls="template-reset-confirm-box"
                onClick={() => setConfirmReset(true)}
              >
                {t('templateReset')}
              </button>
            </div>
            <SaveStatus id="template-save-status" state={saveState} />
            {errorFor(null)}
            {confirmReset && (
              <div id="template-reset-confirm-box" class="notice info tpl-confirm" role="group" aria-labelledby="template-reset-question">
                <p id="template-reset-question">{t('templateResetConfirm')}</p>
                <div class="actions">
                  <button type="button" id="template-reset-confirm" class="danger" ref={confirmButton} disabled={busy !== null} onClick={() => void reset()}>
                    {t('templateResetYes')}
                  </button>
                  <button
                    type="button"
                    id="template-reset-cancel"
                    onClick={() => {
                      setConfirmReset(false);
                      resetButton.current?.focus();
                    }}
                  >
                    {t('cancel')}
                  </button>
                </div>
              </div>
            )}
            <div ref={noticeRef} tabIndex={-1} id="template-notice" class="tpl-notice">
              {notice && <Notice kind={notice.kind}>{notice.text}</Notice>}
            </div>
          </form>

          <section class="panel tpl-preview" id="template-preview" aria-labelledby="preview-title" aria-busy={previewState === 'pending'} data-state={previewState}>
            <h2 id="preview-title">{t('templatePreview')}</h2>
            <fieldset class="segmented">
              <legend class="visually-hidden">{t('templatePreviewFormat')}</legend>
              {(['html', 'text'] as const).map((f) => (
                <span key={f}>
                  <input type="radio" id={`preview-format-${f}`} name="preview-format" value={f} checked={format === f} onChange={() => setFormat(f)} />
                  <label for={`preview-format-${f}`}>{t(f === 'html' ? 'templatePreviewHtml' : 'templatePreviewText')}</label>
                </span>
              ))}
            </fieldset>
            {previewFailure && <Notice kind="error">{t('errorGeneric', { message: previewFailure })}</Notice>}
            {previewState === 'error' && preview && !previewFailure && <p class="hint">{t('templatePreviewStale')}</p>}
            <p class="preview-subject">
              {/* "Subject: " in English, "主题：" in Chinese: the message carries its own spacing. */}
              {t('templatePreviewSubject')}
              <span id="preview-subject">{preview?.subject ?? ''}</span>
            </p>
            <PreviewFrame html={preview?.html ?? ''} stale={previewState === 'error'} hidden={format !== 'html'} title={t('templatePreviewFrame')} />
            <pre id="preview-text" class={previewState === 'error' ? 'stale' : ''} hidden={format !== 'text'} tabIndex={0} aria-label={t('templatePreviewTextLabel')}>
              {preview?.text ?? ''}
            </pre>
          </section>

          <History key={key} path={path} versions={detail.versions} draft={draft} timezone={user.timezone} language={language} busy={busy !== null} dirty={dirty} onRestore={restore} />
          <TestSend path={path} dirty={dirty} />
        </div>
      )}
    </div>
  );
}

/**
 * The rendered HTML mail, as tall as its content: the whole mail shows, with no scroll bar of its
 * own. The frame runs nothing (no allow-scripts); allow-same-origin only lets this page measure
 * its document.
 */
function PreviewFrame(props: { html: string; stale: boolean; hidden: boolean; title: string }) {
  const frame = useRef<HTMLIFrameElement>(null);
  useEffect(() => {
    const f = frame.current;
    if (!f) return;
    const fit = () => {
      const root = f.contentDocument?.documentElement;
      if (!root || f.clientWidth === 0) return;
      const borders = f.offsetHeight - f.clientHeight;
      const height = `${Math.ceil(Math.max(root.getBoundingClientRect().height, root.scrollHeight > f.clientHeight ? root.scrollHeight : 0)) + borders}px`;
      if (f.style.height !== height) f.style.height = height;
    };
    // A new mail loads (fonts and the logo with it); a narrower frame wraps its lines anew.
    f.addEventListener('load', fit);
    const resized = new ResizeObserver(fit);
    resized.observe(f);
    fit();
    return () => {
      f.removeEventListener('load', fit);
      resized.disconnect();
    };
  }, []);
  return <iframe id="preview-html" ref={frame} class={props.stale ? 'stale' : ''} hidden={props.hidden} sandbox="allow-same-origin" srcdoc={props.html} title={props.title} />;
}

/** The variables the template may use; each button puts `{{ name }}` where the cursor last was. */
function Variables(props: { variables: readonly string[]; onInsert(text: string, cursor?: number): void }) {
  const { t } = useI18n();
  return (
    <section class="tpl-variables" aria-labelledby="template-variables-title">
      <h3 id="template-variables-title">{t('templateVariables')}</h3>
      <p class="hint" id="template-variables-hint">
        {t('templateVariablesHint')}
      </p>
      <ul id="template-variables">
        {props.variables.map((path) => {
          const entry = variableEntry(path);
          const loop = props.variables.some((v) => v.startsWith(`${path}[].`));
          // A list inserts its loop, with the cursor on the empty line inside it.
          const shown = loop ? `{% for ${path.slice(0, 1)} in ${path} %}` : entry.insert;
          const insert = loop ? `${shown}\n\n{% endfor %}` : entry.insert;
          const cursor = loop ? shown.length + 1 : insert.length;
          return (
            <li key={path} class={entry.list ? 'in-list' : ''}>
              <button
                type="button"
                class="chip"
                data-variable={path}
                aria-label={t('templateInsert', { text: shown })}
                title={entry.list ? t('templateVariableInList', { list: entry.list }) : undefined}
                // Keeps the focus (and so the cursor) where it was while the mouse is down.
                onMouseDown={(e) => e.preventDefault()}
                onClick={() => props.onInsert(insert, cursor)}
              >
                <code>{loop ? `${path}[]` : entry.label}</code>
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/**
 * One CodeMirror editor in a wrapper `#editor-html` / `#editor-text`. For tests: the editable
 * element is `#editor-html .cm-content` (contenteditable: Playwright's fill() replaces the text,
 * type() types like a person, with HTML tags and brackets closed automatically); the hidden
 * `<textarea id="editor-html-value">` always holds the current text, and an `input` event on it
 * after changing its value replaces the editor's text. Without the editor module (it failed to
 * load), a plain textarea takes its place.
 */
function CodeEditor(props: {
  part: EditorMode;
  docKey: string;
  revision: number;
  value: string;
  variables: readonly string[];
  error: ErrorMark | null;
  reveal: number;
  describedBy: string;
  invalid: boolean;
  onChange(value: string): void;
  onFocus(): void;
  onReady(handle: EditorHandle | null): void;
}) {
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
        <textarea
          class="tpl-fallback"
          rows={14}
          spellcheck={false}
          aria-labelledby={labelId}
          aria-describedby={props.describedBy}
          aria-invalid={props.invalid || undefined}
          value={props.value}
          onInput={(e) => props.onChange(e.currentTarget.value)}
          onFocus={props.onFocus}
        />
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

/**
 * Every save, restore and reset of this template and language, newest first. A version with parts
 * can be viewed (read-only, the HTML as text: nothing of it runs or loads here) and restored
 * (after a confirmation in its row). A reset has no parts of its own: it has neither.
 */
function History(props: {
  path: string;
  versions: readonly TemplateVersion[];
  timezone: string;
  language: string;
  busy: boolean;
  /** Unsaved changes in the editors, which a restore replaces. */
  dirty: boolean;
  /** What the editors hold, to compare a version with. */
  draft: Parts;
  /** Resolves with null when restored, else the message to show. */
  onRestore(id: number): Promise<string | null>;
}) {
  const { t } = useI18n();
  const [open, setOpen] = useState<number | null>(null);
  const [shown, setShown] = useState<Record<number, VersionView | { failed: string }>>({});
  const [confirm, setConfirm] = useState<number | null>(null);
  const [refusal, setRefusal] = useState<{ id: number; message: string } | null>(null);
  const confirmButton = useRef<HTMLButtonElement>(null);
  const format = useMemo(() => {
    try {
      return new Intl.DateTimeFormat(props.language, { dateStyle: 'medium', timeStyle: 'short', timeZone: props.timezone });
    } catch {
      return new Intl.DateTimeFormat(props.language, { dateStyle: 'medium', timeStyle: 'short' });
    }
  }, [props.language, props.timezone]);

  useEffect(() => {
    if (confirm !== null) confirmButton.current?.focus();
  }, [confirm]);

  const view = (id: number) => {
    if (open === id) return setOpen(null);
    setOpen(id);
    // A version never changes: loaded once, kept while the page is open.
    if (shown[id] && !('failed' in (shown[id] as object))) return;
    api<{ version: VersionView }>('GET', `${props.path}/versions/${id}`)
      .then((r) => setShown((all) => ({ ...all, [id]: r.version })))
      .catch((e: Error) => setShown((all) => ({ ...all, [id]: { failed: e.message } })));
  };

  /** Back to the row's Restore button once its confirmation is gone (the focus would be lost with it). */
  const focusRestore = (id: number) => requestAnimationFrame(() => document.getElementById(`template-version-restore-${id}`)?.focus());

  const restore = async (id: number) => {
    setRefusal(null);
    const message = await props.onRestore(id);
    setConfirm(null);
    if (message !== null) {
      setRefusal({ id, message });
      focusRestore(id);
    } else setOpen(null);
  };

  const label = (v: TemplateVersion) =>
    v.action === 'set'
      ? t('templateVersionSet', { who: v.createdBy })
      : v.action === 'reset'
        ? t('templateVersionReset', { who: v.createdBy })
        : v.restoredFrom !== undefined
          ? t('templateVersionRestoredFrom', { who: v.createdBy, from: v.restoredFrom })
          : t('templateVersionRestore', { who: v.createdBy });

  return (
    <section class="panel tpl-history" aria-labelledby="template-history-title">
      <h2 id="template-history-title">{t('templateHistory')}</h2>
      <Compare path={props.path} versions={props.versions} draft={props.draft} />
      {props.versions.length === 0 ? (
        <p class="hint" id="template-history-empty">
          {t('templateHistoryEmpty')}
        </p>
      ) : (
        <ol id="template-history">
          {props.versions.map((v, i) => {
            const inForce = i === 0 && v.action !== 'reset';
            const content = shown[v.id];
            return (
              <li key={v.id} data-action={v.action} data-version={v.id}>
                <div class="tpl-version-line">
                  <span class="tpl-version-id">{t('templateVersionId', { id: v.id })}</span>{' '}
                  <span class="tpl-version-action">{label(v)}</span> <time dateTime={v.createdAt}>{format.format(new Date(v.createdAt))}</time>
                  {inForce && (
                    <>
                      {' '}
                      <span class="badge customized">{t('templateInForce')}</span>
                    </>
                  )}
                  {v.action !== 'reset' && (
                    <span class="tpl-version-buttons">
                      <button
                        type="button"
                        class="small tpl-version-view"
                        aria-expanded={open === v.id}
                        aria-controls={`template-version-${v.id}`}
                        aria-label={t(open === v.id ? 'templateVersionHideLabel' : 'templateVersionViewLabel', { id: v.id })}
                        onClick={() => view(v.id)}
                      >
                        {t(open === v.id ? 'templateVersionHide' : 'templateVersionView')}
                      </button>
                      {!inForce && (
                        <button
                          type="button"
                          id={`template-version-restore-${v.id}`}
                          class="small tpl-version-restore"
                          aria-label={t('templateVersionRestoreLabel', { id: v.id })}
                          aria-expanded={confirm === v.id}
                          aria-controls={`template-version-confirm-${v.id}`}
                          disabled={props.busy}
                          onClick={() => {
                            setRefusal(null);
                            setConfirm(v.id);
                          }}
                        >
                          {t('templateVersionRestoreButton')}
                        </button>
                      )}
                    </span>
                  )}
                </div>
                {confirm === v.id && (
                  <div id={`template-version-confirm-${v.id}`} class="notice info tpl-confirm" role="group" aria-labelledby={`template-version-question-${v.id}`}>
                    <p id={`template-version-question-${v.id}`}>
                      {t('templateVersionRestoreConfirm', { id: v.id })}
                      {props.dirty && ` ${t('templateVersionRestoreUnsaved')}`}
                    </p>
                    <div class="actions">
                      <button type="button" class="primary tpl-version-restore-yes" ref={confirmButton} disabled={props.busy} onClick={() => void restore(v.id)}>
                        {t('templateVersionRestoreYes')}
                      </button>
                      <button
                        type="button"
                        class="tpl-version-restore-cancel"
                        onClick={() => {
                          setConfirm(null);
                          focusRestore(v.id);
                        }}
                      >
                        {t('cancel')}
                      </button>
                    </div>
                  </div>
                )}
                {refusal?.id === v.id && (
                  <p class="template-error tpl-version-refused" role="alert">
                    {refusal.message}
                  </p>
                )}
                {open === v.id && (
                  <div id={`template-version-${v.id}`} class="tpl-version-parts" role="region" aria-label={t('templateVersionId', { id: v.id })}>
                    {!content ? (
                      <p class="hint">{t('loading')}</p>
                    ) : 'failed' in content ? (
                      <Notice kind="error">{t('errorGeneric', { message: content.failed })}</Notice>
                    ) : (
                      <dl>
                        <dt>{t('templateSubject')}</dt>
                        <dd>
                          <pre class="tpl-version-subject">{content.subject}</pre>
                        </dd>
                        <dt>{t('templateHtml')}</dt>
                        <dd>
                          {/* As text: an old version's HTML is shown, never rendered or loaded here. */}
                          <pre class="tpl-version-html" tabIndex={0}>
                            {content.html}
                          </pre>
                        </dd>
                        <dt>{t('templatePreviewText')}</dt>
                        <dd>
                          <pre class="tpl-version-text" tabIndex={0}>
                            {content.text === '' ? t('templateVersionTextEmpty') : content.text}
                          </pre>
                        </dd>
                      </dl>
                    )}
                  </div>
                )}
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}

/** Sends the saved template (not the draft) with its sample data to an address, or to the admin. */
function TestSend(props: { path: string; dirty: boolean }) {
  const { t } = useI18n();
  const { to, setTo, busy, report, error, send, clear } = useTestSend((address) => api<TestMailReport>('POST', `${props.path}/test`, address ? { to: address } : {}));
  useEffect(clear, [props.path]);
  return (
    <section class="panel tpl-test" aria-labelledby="template-test-title">
      <h2 id="template-test-title">{t('templateTest')}</h2>
      <form onSubmit={send} class="inline-form">
        <div class="field">
          <label for="template-test-to">{t('testTo')}</label>
          <input id="template-test-to" type="email" autocomplete="email" value={to} aria-describedby="template-test-hint" onInput={(e) => setTo(e.currentTarget.value)} />
          <p class="hint" id="template-test-hint">
            {t('testToHint')} {t('templateTestHint')}
          </p>
        </div>
        <button type="submit" id="template-test-send" disabled={busy}>
          {busy ? t('testSending') : t('templateTest')}
        </button>
      </form>
      {props.dirty && <p class="hint tpl-test-unsaved">{t('templateTestUnsaved')}</p>}
      <div id="template-test-result" aria-live="polite">
        {error && <Notice kind="error">{error}</Notice>}
        {report?.ok && <Notice kind="ok">{t('templateTestSent', { to: report.to })}</Notice>}
        {report && !report.ok && <TestFailure report={report} />}
      </div>
    </section>
  );
}

type CompareSide = number | 'draft';

/**
 * The changes between two versions, or a version and the editors: a line diff of the subject,
 * the HTML and the text, each line marked + or − (and named for screen readers), not by colour
 * alone. As text: nothing of the HTML runs or loads here.
 */
function Compare(props: { path: string; versions: readonly TemplateVersion[]; draft: Parts }) {
  const { t } = useI18n();
  const withParts = props.versions.filter((v) => v.action !== 'reset');
  // Until chosen: the version before the one in force against it (or the only one against the editors), following new saves.
  const [chosenFrom, setFrom] = useState<CompareSide | null>(null);
  const [chosenTo, setTo] = useState<CompareSide | null>(null);
  const from = chosenFrom ?? withParts[1]?.id ?? withParts[0]?.id ?? 'draft';
  const to = chosenTo ?? (withParts.length > 1 ? (withParts[0]?.id ?? 'draft') : 'draft');
  const [shown, setShown] = useState<{ from: CompareSide; to: CompareSide } | null>(null);
  const [loaded, setLoaded] = useState<Record<number, Parts>>({});
  const [failure, setFailure] = useState<string | null>(null);
  if (withParts.length === 0) return null;

  const partsOf = (side: CompareSide): Parts | undefined => (side === 'draft' ? props.draft : loaded[side]);
  const nameOf = (side: CompareSide) => (side === 'draft' ? t('templateCompareDraft') : t('templateVersionId', { id: side }));

  const show = async (event: Event) => {
    event.preventDefault();
    setFailure(null);
    try {
      // A version never changes: each is loaded once while the page is open.
      const missing = [from, to].filter((s): s is number => s !== 'draft' && !loaded[s]);
      const fetched = await Promise.all(missing.map((id) => api<{ version: VersionView }>('GET', `${props.path}/versions/${id}`).then((r) => [id, r.version] as const)));
      setLoaded((all) => ({ ...all, ...Object.fromEntries(fetched.map(([id, v]) => [id, { subject: v.subject, html: v.html, text: v.text }])) }));
      setShown({ from, to });
    } catch (e) {
      setFailure((e as Error).message);
    }
  };

  const options = (id: string, label: string, value: CompareSide, set: (side: CompareSide) => void) => (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} value={String(value)} onChange={(e) => set(e.currentTarget.value === 'draft' ? 'draft' : Number(e.currentTarget.value))}>
        {withParts.map((v) => (
          <option key={v.id} value={String(v.id)}>
            {t('templateVersionId', { id: v.id })}
          </option>
        ))}
        <option value="draft">{t('templateCompareDraft')}</option>
      </select>
    </div>
  );

  const before = shown && partsOf(shown.from);
  const after = shown && partsOf(shown.to);
  return (
    <div class="tpl-compare">
      <h3 id="template-compare-title">{t('templateCompare')}</h3>
      <form class="inline-form" onSubmit={(e) => void show(e)} aria-labelledby="template-compare-title">
        {options('template-compare-from', t('templateCompareFrom'), from, setFrom)}
        {options('template-compare-to', t('templateCompareTo'), to, setTo)}
        <button type="submit" id="template-compare-show">
          {t('templateCompareShow')}
        </button>
      </form>
      {failure && <Notice kind="error">{t('errorGeneric', { message: failure })}</Notice>}
      {shown && before && after && (
        <div id="template-diff" role="region" aria-labelledby="template-diff-title">
          <h4 id="template-diff-title">{t('templateCompareTitle', { from: nameOf(shown.from), to: nameOf(shown.to) })}</h4>
          {PARTS.map((part) => {
            const lines = lineDiff(before[part], after[part]);
            const added = lines.filter((l) => l.kind === 'added').length;
            const removed = lines.filter((l) => l.kind === 'removed').length;
            return (
              <section key={part} class="tpl-diff-part" data-part={part} aria-labelledby={`template-diff-${part}`}>
                <h5 id={`template-diff-${part}`}>
                  {t(part === 'subject' ? 'templateSubject' : part === 'html' ? 'templateHtml' : 'templatePreviewText')}
                  {': '}
                  <span class="tpl-diff-counts">{added + removed === 0 ? t('templateDiffSame') : t('templateDiffCounts', { added, removed })}</span>
                </h5>
                {added + removed > 0 && (
                  <pre class="tpl-diff" tabIndex={0}>
                    {lines.map((l, i) => (
                      <span key={i} class={`tpl-diff-line ${l.kind}`} data-kind={l.kind}>
                        <span class="tpl-diff-sign" aria-hidden="true">
                          {l.kind === 'added' ? '+ ' : l.kind === 'removed' ? '− ' : '  '}
                        </span>
                        {l.kind !== 'same' && <span class="visually-hidden">{t(l.kind === 'added' ? 'templateDiffAdded' : 'templateDiffRemoved')}: </span>}
                        {l.text}
                        {'\n'}
                      </span>
                    ))}
                  </pre>
                )}
              </section>
            );
          })}
        </div>
      )}
    </div>
  );
}
