import { useMemo, useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { ConfirmBox, Notice } from '../../components.tsx';
import { useI18n } from '../../i18n.ts';
import type { TemplateParts, TemplateVersionInfo, TemplateVersionJson } from '../../../src/domain/api-types.ts';
import { Compare } from './compare.tsx';

/**
 * Every save, restore and reset of this template and language, newest first. A version with parts
 * can be viewed (read-only, the HTML as text: nothing of it runs or loads here) and restored
 * (after a confirmation in its row). A reset has no parts of its own: it has neither.
 */
export function History(props: {
  path: string;
  versions: readonly TemplateVersionInfo[];
  timezone: string;
  language: string;
  busy: boolean;
  /** Unsaved changes in the editors, which a restore replaces. */
  dirty: boolean;
  /** What the editors hold, to compare a version with. */
  draft: TemplateParts;
  /** Resolves with null when restored, else the message to show. */
  onRestore(id: number): Promise<string | null>;
}) {
  const { t } = useI18n();
  const [open, setOpen] = useState<number | null>(null);
  const [shown, setShown] = useState<Record<number, TemplateVersionJson | { failed: string }>>({});
  const [confirm, setConfirm] = useState<number | null>(null);
  const [refusal, setRefusal] = useState<{ id: number; message: string } | null>(null);
  const format = useMemo(() => {
    try {
      return new Intl.DateTimeFormat(props.language, { dateStyle: 'medium', timeStyle: 'short', timeZone: props.timezone });
    } catch {
      return new Intl.DateTimeFormat(props.language, { dateStyle: 'medium', timeStyle: 'short' });
    }
  }, [props.language, props.timezone]);

  const view = (id: number) => {
    if (open === id) return setOpen(null);
    setOpen(id);
    // A version never changes: loaded once, kept while the page is open.
    if (shown[id] && !('failed' in (shown[id] as object))) return;
    api<{ version: TemplateVersionJson }>('GET', `${props.path}/versions/${id}`)
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

  const label = (v: TemplateVersionInfo) =>
    v.action === 'set' ? t('templateVersionSet', { who: v.createdBy }) : v.action === 'reset' ? t('templateVersionReset', { who: v.createdBy }) : v.restoredFrom !== undefined ? t('templateVersionRestoredFrom', { who: v.createdBy, from: v.restoredFrom }) : t('templateVersionRestore', { who: v.createdBy });

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
                  <span class="tpl-version-id">{t('templateVersionId', { id: v.id })}</span> <span class="tpl-version-action">{label(v)}</span> <time dateTime={v.createdAt}>{format.format(new Date(v.createdAt))}</time>
                  {inForce && (
                    <>
                      {' '}
                      <span class="badge customized">{t('templateInForce')}</span>
                    </>
                  )}
                  {v.action !== 'reset' && (
                    <span class="tpl-version-buttons">
                      <button type="button" class="small tpl-version-view" aria-expanded={open === v.id} aria-controls={`template-version-${v.id}`} aria-label={t(open === v.id ? 'templateVersionHideLabel' : 'templateVersionViewLabel', { id: v.id })} onClick={() => view(v.id)}>
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
                  <ConfirmBox
                    id={`template-version-confirm-${v.id}`}
                    questionId={`template-version-question-${v.id}`}
                    question={
                      <>
                        {t('templateVersionRestoreConfirm', { id: v.id })}
                        {props.dirty && ` ${t('templateVersionRestoreUnsaved')}`}
                      </>
                    }
                    yes={{ class: 'primary tpl-version-restore-yes', disabled: props.busy, label: t('templateVersionRestoreYes'), onClick: () => void restore(v.id) }}
                    no={{
                      class: 'tpl-version-restore-cancel',
                      label: t('cancel'),
                      onClick: () => {
                        setConfirm(null);
                        focusRestore(v.id);
                      },
                    }}
                  />
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
