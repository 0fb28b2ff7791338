import { useEffect, useMemo, useState } from 'preact/hooks';
import { api } from '../../api.ts';
import type { SaveState } from '../../components.tsx';
import { isLanguage, useI18n } from '../../i18n.ts';
import { useLeaveGuard } from '../../router.ts';
import { useSession } from '../../session.ts';
import type { TemplateDetail, TemplateParts, TemplateSummary } from '../../../src/domain/api-types.ts';
import { draftErrorOf, keyOf, sameParts, type DraftError, type Part } from './draft.ts';
import { loadEditor } from './code-editor.tsx';
import { useLivePreview } from './preview.tsx';

export type PageNotice = { kind: 'ok' | 'error'; text: string };

/** Where the page's focus goes after an action: the fields and the notice are elements of the page. */
export interface EditorFocus {
  /** The field of a part, to show a refused draft at its place. */
  part(part: Part): void;
  /** The notice under the buttons, once it says how a reset or restore went. */
  notice(): void;
}

/**
 * The state of the templates page: the list, the chosen template and language (kept in the
 * address), each one's saved detail and draft (kept per template and language while the page is
 * open, so switching loses nothing), the live preview, and the actions (save, reset, restore,
 * discard) with what they report.
 */
export function useTemplateEditor(focus: EditorFocus) {
  const { t } = useI18n();
  const { user } = useSession();
  const [summaries, setSummaries] = useState<TemplateSummary[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const initial = useMemo(() => new URLSearchParams(location.search), []);
  const [name, setName] = useState<string>(initial.get('template') ?? '');
  const [lang, setLang] = useState<string>(initial.get('lang') ?? (isLanguage(user.language) ? user.language : 'en'));
  const [details, setDetails] = useState<Record<string, TemplateDetail>>({});
  const [drafts, setDrafts] = useState<Record<string, TemplateParts>>({});
  const [saveState, setSaveState] = useState<SaveState>({ kind: 'idle' });
  const [error, setError] = useState<(DraftError & { reveal: number }) | null>(null);
  const [confirmReset, setConfirmReset] = useState(false);
  const [busy, setBusy] = useState<'save' | 'reset' | 'restore' | null>(null);
  const [notice, setNotice] = useState<PageNotice | null>(null);
  /** Counts replacements of the draft from outside the editors (discard, reset): they then take the draft's text. */
  const [revision, setRevision] = useState(0);

  // Start fetching CodeMirror at once, alongside the list.
  useEffect(() => void loadEditor().catch(() => undefined), []);

  useEffect(() => {
    api<{ templates: TemplateSummary[] }>('GET', '/templates')
      .then((r) => {
        setSummaries(r.templates);
        const names = [...new Set(r.templates.map((s) => s.name))];
        const langs: string[] = [...new Set(r.templates.map((s) => s.lang))];
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
  const path = `/templates/${encodeURIComponent(name)}/${encodeURIComponent(lang)}`;

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

  const preview = useLivePreview(path, key, draft, {
    onRendered: () => setError(null),
    onDraftError: (found) => setError({ ...found, reveal: 0 }),
  });

  /** A saved, reset or restored template in force: its detail, and the list's "customized". */
  const saved = (d: TemplateDetail) => {
    setDetails((all) => ({ ...all, [key]: d }));
    setSummaries((all) => all && all.map((s) => (s.name === name && s.lang === lang ? { ...s, customized: d.customized } : s)));
  };

  const setPart = (part: Part, value: string) => {
    setDrafts((all) => {
      const current = all[key];
      if (!current || current[part] === value) return all;
      return { ...all, [key]: { ...current, [part]: value } };
    });
    setSaveState((s) => (s.kind === 'saved' ? { kind: 'idle' } : s));
  };

  /** Shows a refused draft at its place: the message, the line marked, the field focused there. */
  const showSaveError = (found: DraftError) => {
    setError((e) => ({ ...found, reveal: (e?.reveal ?? 0) + 1 }));
    setSaveState({ kind: 'error', message: t('templateNotSaved') });
    if (found.part) focus.part(found.part);
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
      saved(d);
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
      setDrafts((all) => ({ ...all, [key]: d.parts }));
      setRevision((r) => r + 1);
      saved(d);
      setError(null);
      setNotice({ kind: 'ok', text: t('templateResetDone') });
    } catch (e) {
      setNotice({ kind: 'error', text: t('errorGeneric', { message: (e as Error).message }) });
    } finally {
      setBusy(null);
      setConfirmReset(false);
      requestAnimationFrame(() => focus.notice());
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
      setDrafts((all) => ({ ...all, [key]: d.parts }));
      setRevision((r) => r + 1);
      saved(d);
      setError(null);
      setNotice({ kind: 'ok', text: t('templateVersionRestored', { id, newId: d.versions[0]?.id ?? '?' }) });
      requestAnimationFrame(() => focus.notice());
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

  return {
    summaries,
    loadError,
    name,
    setName,
    lang,
    setLang,
    key,
    path,
    details,
    drafts,
    detail,
    draft,
    dirty,
    saveState,
    error,
    preview,
    confirmReset,
    setConfirmReset,
    busy,
    notice,
    revision,
    setPart,
    save,
    reset,
    restore,
    discard,
  };
}
