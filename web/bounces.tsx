import { useEffect, useState } from 'preact/hooks';
import type { BounceRecord, BouncesAnswer } from '../src/domain/api-types.ts';
import { api } from './api.ts';
import { Notice } from './components.tsx';
import { useFormat } from './format.tsx';
import { useI18n, type MessageKey } from './i18n.ts';

/**
 * What came back for mails (src/bounces/, GET /api/v1/bounces, the outbox mail's `bounces`), as
 * the pages show it: on the outbox mail, beside the Users page's addresses, as the user's banner,
 * and as the reputation warning of the Email server page. Kept apart from the pages so that each
 * page only places them.
 */

/** A bounce as the server records it (src/domain/api-types.ts). */
export type MailBounce = BounceRecord;

/** An address's score as GET /bounces lists it. */
export type BounceScore = BouncesAnswer['addresses'][number];

const kindKey = (kind: MailBounce['kind']): MessageKey => `bounceKind_${kind}`;

/** The outbox mail's bounces: one item per bounced recipient, with what the reporting server said. */
export function MailBounces(props: { bounces: readonly MailBounce[] }) {
  const { t } = useI18n();
  const fmt = useFormat();
  if (props.bounces.length === 0) return null;
  return (
    <>
      <h3 id="mail-bounces-title">{t('bouncesTitle')}</h3>
      <ol class="attempts" id="mail-bounces" aria-labelledby="mail-bounces-title">
        {props.bounces.map((b) => (
          <li key={b.id} data-kind={b.kind}>
            <p class="attempt-head">
              <span class="address">{b.address}</span> · <span class={`badge ${b.kind === 'soft' ? 'deferred' : 'failed'}`}>{t(kindKey(b.kind))}</span>
              {b.status && (
                <>
                  {' '}
                  <code>{b.status}</code>
                </>
              )}{' '}
              · {fmt.time(b.receivedAt)}
              {b.reportingMta && <> · {t('bounceReportedBy', { server: b.reportingMta })}</>}
            </p>
            {b.diagnostic && <pre class="reply">{b.diagnostic}</pre>}
          </li>
        ))}
      </ol>
    </>
  );
}

/** The bounce scores of every address, for the Users page; reload() after a change. */
export function useBounceScores() {
  const [answer, setAnswer] = useState<BouncesAnswer | null>(null);
  const reload = async () => {
    // The flags are an addition to the page: without them it still works.
    setAnswer(await api<BouncesAnswer>('GET', '/bounces').catch(() => null));
  };
  useEffect(() => void reload(), []);
  return {
    of: (email: string | null): BounceScore | undefined => (email === null ? undefined : answer?.addresses.find((a) => a.address === email.toLowerCase())),
    reload,
  };
}

/** Beside an address past the threshold: that it bounces, its last bounce, and "Clear" (after a confirmation). */
export function BounceFlag(props: { score: BounceScore | undefined; onCleared(): Promise<void> }) {
  const { t } = useI18n();
  const fmt = useFormat();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const s = props.score;
  if (!s?.suppressed) return null;
  const clear = async () => {
    if (!window.confirm(t('userBounceClearConfirm', { address: s.address }))) return;
    setBusy(true);
    setError(null);
    try {
      await api('DELETE', `/bounces/${encodeURIComponent(s.address)}`);
      await props.onCleared();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="bounce-flag">
      <span class="badge failed">{t('userBouncing')}</span>
      <span class="hint">
        {t('userBounceLast', { kind: t(kindKey(s.lastKind)) })} · {fmt.time(s.lastBounceAt)}
        {s.lastStatus && (
          <>
            {' '}
            <code>{s.lastStatus}</code>
          </>
        )}
      </span>
      <button type="button" class="bounce-clear" aria-label={t('userBounceClearOf', { address: s.address })} disabled={busy} onClick={() => void clear()}>
        {t('userBounceClear')}
      </button>
      {error && <span role="alert">{t('errorGeneric', { message: error })}</span>}
    </div>
  );
}

/** The user's own banner while mail to their address bounces, with a way to the address field. */
export function BounceBanner(props: { email: string | null }) {
  const { t } = useI18n();
  const [bounces, setBounces] = useState(false);
  useEffect(() => {
    let current = true;
    api<{ email_bounces?: boolean }>('GET', '/me')
      .then((me) => current && setBounces(me.email_bounces === true))
      .catch(() => undefined);
    return () => {
      current = false;
    };
  }, [props.email]);
  if (!bounces || props.email === null) return null;
  return (
    <div class="notice error bounce-banner" role="status" id="bounce-banner">
      <p>
        <strong>{t('personalBounceBanner', { email: props.email })}</strong> {/* biome-ignore lint/a11y/useValidAnchor: a real link to the field (it works without script); the click only moves the focus there too */}
        <a
          href="#me-email"
          onClick={(e) => {
            e.preventDefault();
            const field = document.getElementById('me-email');
            field?.scrollIntoView({ block: 'center' });
            field?.focus();
          }}
        >
          {t('personalBounceUpdate')}
        </a>
      </p>
      <p class="hint">{t('personalBounceDetail')}</p>
    </div>
  );
}

/** The Email server page's warning while receiving servers refused the instance (5.7.x, spam) in the last 7 days. */
export function ReputationWarning() {
  const { t } = useI18n();
  const fmt = useFormat();
  const [reputation, setReputation] = useState<BouncesAnswer['reputation']>(null);
  useEffect(() => {
    api<BouncesAnswer>('GET', '/bounces')
      .then((a) => setReputation(a.reputation))
      .catch(() => undefined);
  }, []);
  if (!reputation) return null;
  const last = reputation.last;
  return (
    <div id="reputation-warning">
      <Notice kind="error">
        <p>
          <strong>{t('emailReputationWarning', { count: reputation.count })}</strong>
        </p>
        <p>
          {fmt.time(last.receivedAt)} · {t('emailReputationLast', { server: last.reportingMta ?? '?' })}
          {last.status && (
            <>
              {' '}
              <code>{last.status}</code>
            </>
          )}
        </p>
        {last.diagnostic && <pre class="reply">{last.diagnostic}</pre>}
        <p class="hint">{t('emailReputationHint')}</p>
      </Notice>
    </div>
  );
}
