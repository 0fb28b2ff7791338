import { useRef, useState } from 'preact/hooks';
import { ConfirmBox, Notice, PageTitle, SaveStatus } from '../../components.tsx';
import { useI18n, type MessageKey } from '../../i18n.ts';
import { languageName, useMailLanguages } from '../../mail-languages.ts';
import { useSession } from '../../session.ts';
import type { EditorHandle, ErrorMark } from '../../editor.ts';
import type { TemplateDetail, TemplateParts } from '../../../src/domain/api-types.ts';
import { CodeEditor } from './code-editor.tsx';
import { keyOf, sameParts, type Part } from './draft.ts';
import { History } from './history.tsx';
import { PreviewPanel } from './preview.tsx';
import { TestSend } from './test-send.tsx';
import { useTemplateEditor } from './use-template-editor.ts';
import { Variables } from './variables.tsx';

/**
 * Admin → Email templates: choose a template and language, edit its subject, HTML and text with
 * Liquid highlighting, see it rendered with sample data as you type (errors marked at their line),
 * save (a new version), reset to the shipped default, look at the versions and send a test.
 * The state and the actions are use-template-editor.ts's; this lays them out.
 */
export function TemplatesPage() {
  const { t, language } = useI18n();
  const { user } = useSession();
  const mailLanguages = useMailLanguages();
  const [format, setFormat] = useState<'html' | 'text'>('html');
  const lastPart = useRef<Part>('html');
  const editors = useRef<Partial<Record<'html' | 'text', EditorHandle>>>({});
  const subjectInput = useRef<HTMLInputElement>(null);
  const noticeRef = useRef<HTMLDivElement>(null);
  const resetButton = useRef<HTMLButtonElement>(null);
  const { summaries, loadError, name, setName, lang, setLang, key, path, details, drafts, detail, draft, dirty, saveState, error, preview, confirmReset, setConfirmReset, busy, notice, revision, setPart, save, reset, restore, discard } = useTemplateEditor({
    part: (part) => (part === 'subject' ? subjectInput.current?.focus() : editors.current[part]?.focus()),
    notice: () => noticeRef.current?.focus(),
  });

  if (loadError) return <Notice kind="error">{t('errorGeneric', { message: loadError })}</Notice>;
  if (!summaries) return <p>{t('loading')}</p>;

  const names = [...new Set(summaries.map((s) => s.name))];
  const langs = [...new Set(summaries.map((s) => s.lang))];
  const summary = summaries.find((s) => s.name === name && s.lang === lang);
  const customized = detail?.customized ?? summary?.customized ?? false;
  const variables = detail?.variables ?? summary?.variables ?? [];
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

  /** The error message, under the part it is in (or under the buttons when it names no part). */
  const errorFor = (part: Part | null) => {
    if (!error || error.part !== part) return null;
    return (
      <p id="template-error" class="template-error" role="alert">
        {error.line !== undefined ? t('templateErrorAt', { line: error.line, column: error.column ?? 1, message: error.message }) : part ? `${t(part === 'subject' ? 'templateSubject' : part === 'html' ? 'templateHtml' : 'templatePreviewText')}: ${error.message}` : error.message}
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
              const edited = drafts[keyOf(name, l)] && details[keyOf(name, l)] && !sameParts(drafts[keyOf(name, l)] as TemplateParts, (details[keyOf(name, l)] as TemplateDetail).parts);
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
                {/* biome-ignore lint/a11y/noStaticElementInteractions lint/a11y/useKeyWithClickEvents: the editor's label; a click on it focuses the editor as a <label> would, and the keyboard reaches the editor itself with Tab */}
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
              <button type="button" id="template-reset" class="danger" ref={resetButton} disabled={busy !== null || !customized} aria-expanded={confirmReset} aria-controls="template-reset-confirm-box" onClick={() => setConfirmReset(true)}>
                {t('templateReset')}
              </button>
            </div>
            <SaveStatus id="template-save-status" state={saveState} />
            {errorFor(null)}
            {confirmReset && (
              <ConfirmBox
                id="template-reset-confirm-box"
                questionId="template-reset-question"
                question={t('templateResetConfirm')}
                yes={{ id: 'template-reset-confirm', class: 'danger', disabled: busy !== null, label: t('templateResetYes'), onClick: () => void reset() }}
                no={{
                  id: 'template-reset-cancel',
                  label: t('cancel'),
                  onClick: () => {
                    setConfirmReset(false);
                    resetButton.current?.focus();
                  },
                }}
              />
            )}
            <div ref={noticeRef} tabIndex={-1} id="template-notice" class="tpl-notice">
              {notice && <Notice kind={notice.kind}>{notice.text}</Notice>}
            </div>
          </form>

          <PreviewPanel preview={preview.preview} state={preview.state} failure={preview.failure} format={format} onFormat={setFormat} />

          <History key={key} path={path} versions={detail.versions} draft={draft} timezone={user.timezone} language={language} busy={busy !== null} dirty={dirty} onRestore={restore} />
          <TestSend path={path} dirty={dirty} />
        </div>
      )}
    </div>
  );
}
