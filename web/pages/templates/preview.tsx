import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { Notice } from '../../components.tsx';
import { useI18n } from '../../i18n.ts';
import type { TemplateParts, TemplatePreview } from '../../../src/domain/api-types.ts';
import { draftErrorOf, type DraftError } from './draft.ts';

export type PreviewState = 'pending' | 'ready' | 'error';

/**
 * The live preview: the draft rendered with sample data, 300 ms after the last keystroke (at once
 * for a newly chosen template). An answer that is no longer the newest request's is dropped. A
 * draft the server refuses is reported through `onDraftError` (the editors mark it), a rendered
 * one clears it through `onRendered`.
 */
export function useLivePreview(path: string, key: string, draft: TemplateParts | undefined, on: { onRendered(): void; onDraftError(found: DraftError): void }) {
  const [preview, setPreview] = useState<TemplatePreview | null>(null);
  const [state, setState] = useState<PreviewState>('pending');
  const [failure, setFailure] = useState<string | null>(null);
  const seqRef = useRef(0);
  const keyRef = useRef('');
  const latest = useRef(on);
  latest.current = on;

  useEffect(() => {
    if (!draft) return;
    const seq = ++seqRef.current;
    const switched = keyRef.current !== key;
    keyRef.current = key;
    if (switched) setPreview(null);
    setState('pending');
    const timer = setTimeout(
      () => {
        api<TemplatePreview>('POST', `${path}/preview`, draft)
          .then((p) => {
            if (seq !== seqRef.current) return;
            setPreview(p);
            setFailure(null);
            setState('ready');
            latest.current.onRendered();
          })
          .catch((e: unknown) => {
            if (seq !== seqRef.current) return;
            setState('error');
            const found = draftErrorOf(e);
            if (found) {
              setFailure(null);
              latest.current.onDraftError(found);
            } else {
              setFailure((e as Error).message);
            }
          });
      },
      switched ? 0 : 300,
    );
    return () => clearTimeout(timer);
  }, [key, draft?.subject, draft?.html, draft?.text]);

  return { preview, state, failure };
}

/** The preview panel: the subject, and the HTML mail or its text part (`format`, kept by the page across templates). */
export function PreviewPanel(props: { preview: TemplatePreview | null; state: PreviewState; failure: string | null; format: 'html' | 'text'; onFormat(format: 'html' | 'text'): void }) {
  const { t } = useI18n();
  const { preview, state, failure, format } = props;
  return (
    <section class="panel tpl-preview" id="template-preview" aria-labelledby="preview-title" aria-busy={state === 'pending'} data-state={state}>
      <h2 id="preview-title">{t('templatePreview')}</h2>
      <fieldset class="segmented">
        <legend class="visually-hidden">{t('templatePreviewFormat')}</legend>
        {(['html', 'text'] as const).map((f) => (
          <span key={f}>
            <input type="radio" id={`preview-format-${f}`} name="preview-format" value={f} checked={format === f} onChange={() => props.onFormat(f)} />
            <label for={`preview-format-${f}`}>{t(f === 'html' ? 'templatePreviewHtml' : 'templatePreviewText')}</label>
          </span>
        ))}
      </fieldset>
      {failure && <Notice kind="error">{t('errorGeneric', { message: failure })}</Notice>}
      {state === 'error' && preview && !failure && <p class="hint">{t('templatePreviewStale')}</p>}
      <p class="preview-subject">
        {/* "Subject: " in English, "主题：" in Chinese: the message carries its own spacing. */}
        {t('templatePreviewSubject')}
        <span id="preview-subject">{preview?.subject ?? ''}</span>
      </p>
      <PreviewFrame html={preview?.html ?? ''} stale={state === 'error'} hidden={format !== 'html'} title={t('templatePreviewFrame')} />
      {/* biome-ignore lint/a11y/useAriaPropsSupportedByRole: a scrollable text the keyboard can reach (tabIndex), named for screen readers as the frame beside it is */}
      <pre id="preview-text" class={state === 'error' ? 'stale' : ''} hidden={format !== 'text'} tabIndex={0} aria-label={t('templatePreviewTextLabel')}>
        {preview?.text ?? ''}
      </pre>
    </section>
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
