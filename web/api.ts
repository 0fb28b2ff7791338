/** The one way the pages talk to Mailroom: JSON, the session cookie, and the CSRF token on changes. */
import en from './catalogs/en.json' with { type: 'json' };
import { translator, type MessageKey, type UiLanguage } from './i18n.ts';
import type { LinkHolder, PublicUser } from '../src/domain/api-types.ts';

let errorLanguage: UiLanguage = 'en';

/** The language of the interface, for the messages of errors the server sends. */
export function setErrorLanguage(language: UiLanguage): void {
  errorLanguage = language;
}

/**
 * The server's messages are English and exact (the setting, the value, the server's reply). In
 * any other language, a summary by code (the catalogs' error.CODE) comes first and the exact
 * message follows in brackets.
 */
export function localizedErrorMessage(code: string, message: string): string {
  const key = `error.${code}`;
  if (errorLanguage === 'en' || !Object.hasOwn(en, key)) return message;
  const t = translator(errorLanguage);
  return t('errorWithMessage', { summary: t(key as MessageKey), message });
}

export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;
  constructor(status: number, code: string, message: string, details?: Record<string, unknown>) {
    super(localizedErrorMessage(code, message));
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

let csrfToken: string | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when any request answers 401: the session ended (signed out elsewhere, expired). */
let onSignedOut: () => void = () => undefined;
export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

/** GETs under way, by path: a page and the shell that ask for the same thing at once share one request. */
const pendingGets = new Map<string, Promise<unknown>>();

/**
 * A request to the API. Two GETs of one path at the same time (the banners of the shell and the
 * page under them both read the mail settings) share one request and its answer; treat answers
 * as read-only.
 */
export function api<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  if (method !== 'GET') return request<T>(method, path, body);
  const pending = pendingGets.get(path);
  if (pending) return pending as Promise<T>;
  const started = request<T>(method, path).finally(() => pendingGets.delete(path));
  pendingGets.set(path, started);
  return started;
}

async function request<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, { method, headers, credentials: 'same-origin', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  } catch {
    throw new ApiError(0, 'network_error', 'Mailroom cannot be reached');
  }
  if (response.status === 204) return undefined as T;
  const data = (await response.json().catch(() => ({}))) as { error?: { code: string; message: string; details?: Record<string, unknown> } };
  if (!response.ok) {
    const error = data.error ?? { code: 'internal_error', message: `HTTP ${response.status}` };
    if (response.status === 401 && path !== '/login') onSignedOut();
    throw new ApiError(response.status, error.code, error.message, error.details);
  }
  return data as T;
}

/** Window event the Email server page sends with the settings (SettingView[]) after it loaded or saved them. */
export const MAIL_SETTINGS_EVENT = 'mailroom:mail-settings';

/** The types of the API's answers that the pages read: the server's own (src/domain/api-types.ts). */
export type { InvitationSent, LinkHolder, SettingView } from '../src/domain/api-types.ts';
export type User = PublicUser;
export type Invitation = LinkHolder;

/** A test mail's report and a diagnosis's fix: the server's own shapes. */
export type { DiagnosisFix, TestMailReport } from '../src/domain/api-types.ts';
