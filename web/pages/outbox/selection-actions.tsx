import { useState } from 'preact/hooks';
import { api, localizedErrorMessage } from '../../api.ts';
import { ConfirmBox, Notice } from '../../components.tsx';
import { useI18n } from '../../i18n.ts';
import { errorText, useFormat } from '../../format.tsx';
import type { BatchResult } from './outbox-types.ts';

/** "Retry selected" and "Cancel selected", each after a confirmation, answered per mail. */
export function SelectionActions(props: { selected: ReadonlySet<number>; onDone(): Promise<void> }) {
  const { t } = useI18n();
  const fmt = useFormat();
  const [step, setStep] = useState<{ kind: 'confirm'; action: 'retry' | 'cancel' } | { kind: 'busy' } | { kind: 'done'; results: BatchResult[] } | { kind: 'error'; message: string } | null>(null);
  const count = props.selected.size;
  const run = async (action: 'retry' | 'cancel') => {
    setStep({ kind: 'busy' });
    try {
      const r = await api<{ results: BatchResult[] }>('POST', `/outbox/${action}`, { ids: [...props.selected] });
      setStep({ kind: 'done', results: r.results });
      await props.onDone();
    } catch (e) {
      setStep({ kind: 'error', message: errorText(e) });
    }
  };
  return (
    <>
      {count > 0 && step?.kind !== 'confirm' && (
        <div class="toolbar selection" id="outbox-selection">
          <p class="selected-count">{t('outboxSelected', { count: fmt.number(count) })}</p>
          <button type="button" id="outbox-retry-selected" disabled={step?.kind === 'busy'} onClick={() => setStep({ kind: 'confirm', action: 'retry' })}>
            {t('outboxRetrySelected')}
          </button>
          <button type="button" id="outbox-cancel-selected" disabled={step?.kind === 'busy'} onClick={() => setStep({ kind: 'confirm', action: 'cancel' })}>
            {t('outboxCancelSelected')}
          </button>
        </div>
      )}
      {step?.kind === 'confirm' && (
        <ConfirmBox
          id="outbox-selected-confirm"
          questionId="outbox-selected-question"
          question={t(step.action === 'retry' ? 'outboxRetrySelectedQuestion' : 'outboxCancelSelectedQuestion', { count: fmt.number(count) })}
          yes={{ id: 'outbox-selected-yes', class: 'primary', label: t('outboxSelectedYes'), onClick: () => void run(step.action) }}
          no={{ label: t('cancel'), onClick: () => setStep(null) }}
        />
      )}
      <div aria-live="polite" id="outbox-selected-status">
        {step?.kind === 'done' && (
          <Notice kind={step.results.every((r) => r.ok) ? 'ok' : 'error'}>
            {t('outboxBatchDone', { ok: fmt.number(step.results.filter((r) => r.ok).length), count: fmt.number(step.results.length) })}
            {step.results.some((r) => !r.ok) && <ul class="batch-refusals">{step.results.map((r) => (r.ok ? null : <li key={r.id}>{localizedErrorMessage(r.error.code, r.error.message)}</li>))}</ul>}
          </Notice>
        )}
        {step?.kind === 'error' && <Notice kind="error">{t('errorGeneric', { message: step.message })}</Notice>}
      </div>
    </>
  );
}
