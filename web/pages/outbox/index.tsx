import { useEffect, useState } from 'preact/hooks';
import { api, type SettingView } from '../../api.ts';
import { navigate, onLinkClick, usePath } from '../../router.ts';
import { PageTitle } from '../../components.tsx';
import { useI18n } from '../../i18n.ts';
import { CapturedInbox } from './captured.tsx';
import { OutboxMails } from './mails.tsx';
import { OwedMail } from './owed.tsx';
import { TestMails } from './test-mails.tsx';

/** The views of the page, each with a path of its own: /admin/outbox, /admin/outbox/captured, /admin/outbox/tests. */
const TABS = [
  { id: 'mails', path: '/admin/outbox', label: 'outboxTabMails' },
  { id: 'captured', path: '/admin/outbox/captured', label: 'outboxTabCaptured' },
  { id: 'tests', path: '/admin/outbox/tests', label: 'outboxTabTests' },
] as const;
type Tab = (typeof TABS)[number]['id'];

/** The address of the mail a request owed under `key`: it opens that mail once a worker has rendered it. */
export const owedMailPath = (key: string) => `/admin/outbox/owed/${encodeURIComponent(key)}`;

/**
 * Which view a path shows, and which mail is open: /admin/outbox/5 opens mail 5,
 * /admin/outbox/owed/KEY the mail owed under KEY (an invitation's), once it is rendered.
 */
function viewOf(path: string): { tab: Tab; openId: number | null; owedKey: string | null } {
  const tab = TABS.find((t) => t.id !== 'mails' && path === t.path);
  if (tab) return { tab: tab.id, openId: null, owedKey: null };
  const owed = /^\/admin\/outbox\/owed\/(.+)$/.exec(path);
  if (owed) {
    try {
      return { tab: 'mails', openId: null, owedKey: decodeURIComponent(owed[1] as string) };
    } catch {
      return { tab: 'mails', openId: null, owedKey: owed[1] as string };
    }
  }
  const match = /^\/admin\/outbox\/(\d+)$/.exec(path);
  return { tab: 'mails', openId: match ? Number(match[1]) : null, owedKey: null };
}

/**
 * Admin → Outbox: how many mails are in each state (each count filters the list), the mails
 * (searched by recipient or subject, newest first, several selected to retry or cancel), one
 * mail at a URL of its own with every attempt and server reply, and beside it the captured
 * mails and the test mails.
 */
export function OutboxPage() {
  const { t } = useI18n();
  const { tab, openId, owedKey } = viewOf(usePath());
  const [capture, setCapture] = useState(false);
  useEffect(() => {
    api<{ settings: SettingView[] }>('GET', '/settings/mail')
      .then((r) => setCapture(r.settings.find((s) => s.key === 'mail_smtpmode')?.value === 'capture'))
      .catch(() => undefined);
  }, []);
  const onTabKey = (event: KeyboardEvent) => {
    const index = TABS.findIndex((x) => x.id === tab);
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (step === 0) return;
    event.preventDefault();
    const next = TABS[(index + step + TABS.length) % TABS.length] as (typeof TABS)[number];
    navigate(next.path);
    queueMicrotask(() => document.getElementById(`outbox-tab-${next.id}`)?.focus());
  };

  return (
    <>
      <PageTitle>{t('outboxTitle')}</PageTitle>
      {capture && <p class="intro">{t('captureIntro')}</p>}
      <div role="tablist" aria-label={t('outboxViews')} class="tabs" id="outbox-tabs" onKeyDown={onTabKey}>
        {TABS.map((x) => (
          <a key={x.id} href={x.path} role="tab" id={`outbox-tab-${x.id}`} aria-selected={tab === x.id} aria-controls={`outbox-panel-${x.id}`} tabIndex={tab === x.id ? 0 : -1} onClick={onLinkClick}>
            {t(x.label)}
          </a>
        ))}
      </div>
      <div role="tabpanel" id={`outbox-panel-${tab}`} aria-labelledby={`outbox-tab-${tab}`}>
        {tab === 'mails' && owedKey !== null && <OwedMail key={owedKey} mailKey={owedKey} />}
        {tab === 'mails' && <OutboxMails openId={openId} />}
        {tab === 'captured' && <CapturedInbox />}
        {tab === 'tests' && <TestMails />}
      </div>
    </>
  );
}
