import type { SettingView } from './api.ts';

/** An address's origin (scheme, host, port), or null when it is no URL. */
function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/**
 * The address links in mails lead to when no one chose it and it is not where the admin is
 * (`here`, the page's origin): the banner's rule. base_url set anywhere (this page, the config
 * file, the environment) is a choice, and the banner stays away, wherever it points.
 */
export function unchosenLinkAddress(settings: readonly SettingView[], here: string): string | null {
  const view = settings.find((s) => s.key === 'base_url');
  if (view?.source !== 'default' || typeof view.value !== 'string') return null;
  return originOf(view.value) === originOf(here) ? null : view.value;
}
