import { useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { Notice } from '../../components.tsx';
import { useI18n } from '../../i18n.ts';
import { lineDiff } from '../../line-diff.ts';
import type { TemplateParts, TemplateVersionInfo, TemplateVersionJson } from '../../../src/domain/api-types.ts';
import { PARTS } from './draft.ts';

type CompareSide = number | 'draft';

/**
 * The changes between two versions, or a version and the editors: a line diff of the subject,
 * the HTML and the text, each line marked + or − (and named for screen readers), not by colour
 * alone. As text: nothing of the HTML runs or loads here.
 */
export function Compare(props: { path: string; versions: readonly TemplateVersionInfo[]; draft: TemplateParts }) {
  const { t } = useI18n();
  const withParts = props.versions.filter((v) => v.action !== 'reset');
  // Until chosen: the version before the one in force against it (or the only one against the editors), following new saves.
  const [chosenFrom, setFrom] = useState<CompareSide | null>(null);
  const [chosenTo, setTo] = useState<CompareSide | null>(null);
  const from = chosenFrom ?? withParts[1]?.id ?? withParts[0]?.id ?? 'draft';
  const to = chosenTo ?? (withParts.length > 1 ? (withParts[0]?.id ?? 'draft') : 'draft');
  const [shown, setShown] = useState<{ from: CompareSide; to: CompareSide } | null>(null);
  const [loaded, setLoaded] = useState<Record<number, TemplateParts>>({});
  const [failure, setFailure] = useState<string | null>(null);
  if (withParts.length === 0) return null;

  const partsOf = (side: CompareSide): TemplateParts | undefined => (side === 'draft' ? props.draft : loaded[side]);
  const nameOf = (side: CompareSide) => (side === 'draft' ? t('templateCompareDraft') : t('templateVersionId', { id: side }));

  const show = async (event: Event) => {
    event.preventDefault();
    setFailure(null);
    try {
      // A version never changes: each is loaded once while the page is open.
      const missing = [from, to].filter((s): s is number => s !== 'draft' && !loaded[s]);
      const fetched = await Promise.all(missing.map((id) => api<{ version: TemplateVersionJson }>('GET', `${props.path}/versions/${id}`).then((r) => [id, r.version] as const)));
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
