import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, type ApiError, MAIL_SETTINGS_EVENT, type SettingView } from '../api.ts';
import { CommitSelect, Notice, PageTitle, SaveStatus, type SaveState } from '../components.tsx';
import { useMailLanguages } from '../mail-languages.ts';
import { useI18n, type MessageKey } from '../i18n.ts';

type Settings = Record<string, SettingView>;

const withoutKey = (d: Record<string, string>, key: string) => Object.fromEntries(Object.entries(d).filter(([k]) => k !== key));

/**
 * "General": the instance's name and address (base_url, with the address the admin is signed
 * in at offered for one click), the language of mails to people who chose none, and the look of
 * its mails. Saved field by field like the Email
 * server page, through the same settings API.
 */
export function GeneralPage() {
  const { t } = useI18n();
  const [settings, setSettings] = useState<Settings | null>(null);
  const languages = useMailLanguages(String(settings?.['mail_default_language']?.value ?? ''));
  const [status, setStatus] = useState<Record<string, SaveState>>({});
  /**
   * What a field shows instead of the saved value: what is typed and not saved yet, or what was
   * refused, until corrected. A save of another field answers with every saved value (and the
   * page renders again) and must not put the saved one back.
   */
  const [drafts, setDrafts] = useState<Record<string, string>>({});
  const [loadError, setLoadError] = useState<string | null>(null);

  const apply = (list: SettingView[]) => {
    setSettings(Object.fromEntries(list.map((s) => [s.key, s])));
    // The banner about base_url follows at once.
    window.dispatchEvent(new CustomEvent(MAIL_SETTINGS_EVENT, { detail: list }));
  };

  useEffect(() => {
    api<{ settings: SettingView[] }>('GET', '/settings/mail')
      .then((r) => apply(r.settings))
      .catch((e: Error) => setLoadError(e.message));
  }, []);

  /** `typed`: the field's text, kept in the field while the server answers and when it refuses it. */
  const save = async (key: string, value: string | number | null, typed = value === null ? null : String(value)) => {
    setStatus((s) => ({ ...s, [key]: { kind: 'saving' } }));
    setDrafts((d) => (typed === null ? withoutKey(d, key) : { ...d, [key]: typed }));
    try {
      apply((await api<{ settings: SettingView[] }>('PATCH', '/settings/mail', { [key]: value })).settings);
      setDrafts((d) => withoutKey(d, key));
      setStatus((s) => ({ ...s, [key]: { kind: 'saved' } }));
    } catch (e) {
      setStatus((s) => ({ ...s, [key]: { kind: 'error', message: (e as ApiError).message } }));
    }
  };

  if (loadError) return <Notice kind="error">{t('errorGeneric', { message: loadError })}</Notice>;
  if (!settings) return <p>{t('loading')}</p>;

  const here = location.origin;
  const baseUrl = settings['base_url'];
  const derived = baseUrl?.source === 'default';

  /** What a field's input is described by: its hint, its save status and, when locked, why. */
  const describedBy = (key: string) => [`hn-${key}`, `st-${key}`, ...(settings[key]?.locked ? [`lk-${key}`] : [])].join(' ');

  /** Below a field's input: its hint, anything more the field says, why it is locked, and its save status. */
  const fieldNotes = (key: string, hint: MessageKey, extra?: ComponentChildren) => {
    const s = settings[key];
    return (
      <>
        <p class="hint" id={`hn-${key}`}>
          {t(hint)}
        </p>
        {extra}
        {s?.locked && (
          <p class="hint locked" id={`lk-${key}`}>
            {t('lockedBy', { source: t(s.lockedBy === 'env' ? 'lockedSource_env' : 'lockedSource_file') })}
          </p>
        )}
        <SaveStatus id={`st-${key}`} state={status[key]} />
      </>
    );
  };

  const field = (key: string, label: MessageKey, hint: MessageKey, opts: { type?: 'text' | 'url' | 'number'; verbatim?: boolean; extra?: ComponentChildren } = {}) => {
    const s = settings[key];
    const locked = s?.locked ?? false;
    return (
      <div class="field">
        <label for={`f-${key}`}>{t(label)}</label>
        <input
          id={`f-${key}`}
          name={key}
          type={opts.type ?? 'text'}
          autocomplete="off"
          {...(opts.verbatim ? { spellcheck: false, autocapitalize: 'off' } : {})}
          disabled={locked}
          aria-describedby={describedBy(key)}
          aria-invalid={status[key]?.kind === 'error' ? true : undefined}
          value={Object.hasOwn(drafts, key) ? drafts[key] : String(s?.value ?? '')}
          {...(opts.type === 'number' ? { inputMode: 'numeric' as const } : {})}
          onInput={(e) => {
            const text = e.currentTarget.value;
            setDrafts((d) => ({ ...d, [key]: text }));
          }}
          onBlur={(e) => {
            // Left unchanged: nothing to keep (a change saves first, and its answer clears the draft).
            const text = e.currentTarget.value;
            setDrafts((d) => (d[key] === text && text === String(s?.value ?? '') ? withoutKey(d, key) : d));
          }}
          onChange={(e) => {
            const raw = e.currentTarget.value;
            // An emptied number field goes back to the default, as on the Email server page.
            void save(key, opts.type === 'number' ? (raw.trim() === '' ? null : Number(raw)) : raw, raw);
          }}
        />
        {fieldNotes(key, hint, opts.extra)}
      </div>
    );
  };

  /** A choice among fixed values (the default language): saved as soon as it is chosen. */
  const choice = (key: string, label: MessageKey, hint: MessageKey, options: readonly { value: string; label: string; lang?: string }[]) => {
    const s = settings[key];
    const locked = s?.locked ?? false;
    return (
      <div class="field">
        <label for={`f-${key}`}>{t(label)}</label>
        <CommitSelect field={{ id: `f-${key}`, name: key, disabled: locked, 'aria-describedby': describedBy(key) }} saved={String(s?.value ?? '')} onCommit={(value) => void save(key, value)} onBrowse={() => undefined}>
          {options.map((o) => (
            <option key={o.value} value={o.value} lang={o.lang}>
              {o.label}
            </option>
          ))}
        </CommitSelect>
        {fieldNotes(key, hint)}
      </div>
    );
  };

  const baseUrlExtra = (
    <>
      {derived && (
        <p class="hint" id="base-url-derived">
          {t('baseUrlDerived', { derived: String(baseUrl?.value ?? '') })}
        </p>
      )}
      {!baseUrl?.locked && (
        <p class="inline-actions">
          {baseUrl?.value !== here && (
            <button type="button" title={t('baseUrlUseHereHint')} onClick={() => void save('base_url', here)}>
              {t('baseUrlUseHere', { here })}
            </button>
          )}
          {!derived && (
            <button type="button" onClick={() => void save('base_url', null)}>
              {t('baseUrlUnset')}
            </button>
          )}
        </p>
      )}
    </>
  );

  return (
    <>
      <PageTitle>{t('generalTitle')}</PageTitle>
      <p class="intro">{t('generalIntro')}</p>
      <form class="settings" onSubmit={(e) => e.preventDefault()}>
        {field('instance_name', 'fieldInstanceName', 'fieldInstanceNameHint')}
        {field('base_url', 'fieldBaseUrl', 'fieldBaseUrlHint', { type: 'url', verbatim: true, extra: baseUrlExtra })}
        {choice(
          'mail_default_language',
          'fieldDefaultLanguage',
          'fieldDefaultLanguageHint',
          languages.map((l) => ({ value: l.code, label: l.name, lang: l.code })),
        )}
        {field('mail_logo_url', 'fieldLogoUrl', 'fieldLogoUrlHint', { type: 'url', verbatim: true })}
        {field('mail_logo_dark_url', 'fieldLogoDarkUrl', 'fieldLogoDarkUrlHint', { type: 'url', verbatim: true })}
        {field('mail_logo_width', 'fieldLogoWidth', 'fieldLogoSizeHint', { type: 'number' })}
        {field('mail_logo_height', 'fieldLogoHeight', 'fieldLogoHeightHint', { type: 'number' })}
        {field('mail_accent_color', 'fieldAccentColor', 'fieldAccentColorHint', {
          verbatim: true,
          extra: <span class="swatch" aria-hidden="true" style={{ background: String(settings['mail_accent_color']?.value ?? '') }} />,
        })}
        {field('mail_footer', 'fieldFooter', 'fieldFooterHint')}
      </form>
    </>
  );
}
