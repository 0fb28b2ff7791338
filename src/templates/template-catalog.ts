/**
 * The templates Mailroom ships, what each may use, and the sample data its preview renders.
 * Shared by the engine's validation (unknown variables are refused at save time), the preview
 * and the editors.
 */

export const TEMPLATE_NAMES = ['share', 'lost_password', 'activity', 'test', 'link_share', 'welcome', 'password_changed', 'email_change_verify', 'email_change_notice'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

import { LANGUAGE_CODES, type Language } from '../domain/languages.ts';
import type { TemplateParts } from '../domain/api-types.ts';

/** The languages of the shipped templates: every language Mailroom writes in (domain/languages.ts). */
export const TEMPLATE_LANGUAGES = LANGUAGE_CODES;
export type TemplateLanguage = Language;

/** The three parts of a template; an empty `text` is derived from the HTML when sending. */
export type { TemplateParts };

export type TemplatePart = keyof TemplateParts;

/**
 * The variables a template may name: a leaf is its type, a nested object a map, a one-element
 * array a list of such objects (for `{% for a in activities %}`).
 */
export type VariableSpec = { readonly [name: string]: 'string' | 'number' | 'boolean' | VariableSpec | readonly [VariableSpec] };

/** Variables every template has. */
export const COMMON_VARIABLES: VariableSpec = {
  user: { display_name: 'string', uid: 'string', email: 'string' },
  instance_name: 'string',
  base_url: 'string',
};

export interface TemplateDefinition {
  readonly name: TemplateName;
  /** Notifications carry List-Unsubscribe; transactional mails (reset, test) do not. */
  readonly kind: 'notification' | 'transactional';
  /** Variables of this template besides COMMON_VARIABLES. */
  readonly variables: VariableSpec;
  readonly description: string;
}

export const TEMPLATE_DEFINITIONS: Readonly<Record<TemplateName, TemplateDefinition>> = {
  share: {
    name: 'share',
    kind: 'notification',
    description: 'A file or folder was shared with you.',
    variables: { sharer: 'string', file_name: 'string', link: 'string', expiration: 'string', note: 'string' },
  },
  lost_password: {
    name: 'lost_password',
    kind: 'transactional',
    description: 'The link to set a new password.',
    variables: { link: 'string', expires_in_minutes: 'number' },
  },
  activity: {
    name: 'activity',
    kind: 'notification',
    description: 'The digest of activity on your files.',
    variables: {
      // summary: the whole line, naming the file ("Bob Berg changed “Budget 2026.xlsx”"); subject
      // is the same without the name ("Bob Berg changed a file"), kept for templates written before.
      activities: [{ summary: 'string', subject: 'string', file_name: 'string', link: 'string', time: 'string' }],
      more: 'number',
      settings_link: 'string',
      unsubscribe_link: 'string',
    },
  },
  test: {
    name: 'test',
    kind: 'transactional',
    description: 'The test mail of the settings page.',
    variables: {},
  },
  link_share: {
    name: 'link_share',
    // Sent to people outside the cloud at the sharer's request: there is no account to unsubscribe.
    kind: 'transactional',
    description: 'A public link a user sent to outside addresses.',
    variables: { sharer: 'string', file_name: 'string', link: 'string', expiration: 'string', note: 'string' },
  },
  welcome: {
    name: 'welcome',
    kind: 'transactional',
    description: 'The invitation to a new account, with a link to set a password.',
    variables: { link: 'string', expires_in_days: 'number' },
  },
  password_changed: {
    name: 'password_changed',
    kind: 'transactional',
    description: 'Your password was changed: when, and what to do if it was not you.',
    // client_address and browser: where the change came from, when it was made through the web; empty otherwise.
    variables: { changed_at: 'string', client_address: 'string', browser: 'string', reset_link: 'string' },
  },
  email_change_verify: {
    name: 'email_change_verify',
    kind: 'transactional',
    description: 'Sent to a new address: the link that confirms it.',
    variables: { link: 'string', new_email: 'string', expires_in_hours: 'number' },
  },
  email_change_notice: {
    name: 'email_change_notice',
    kind: 'transactional',
    description: 'Sent to the old address once the change is confirmed, with a link that undoes it.',
    variables: { old_email: 'string', new_email: 'string', changed_at: 'string', client_address: 'string', browser: 'string', undo_link: 'string', reset_link: 'string' },
  },
};

/** Everything a template of this name may use. */
export function variablesOf(name: TemplateName): VariableSpec {
  return { ...COMMON_VARIABLES, ...TEMPLATE_DEFINITIONS[name].variables };
}

export function isTemplateName(value: string): value is TemplateName {
  return (TEMPLATE_NAMES as readonly string[]).includes(value);
}

export function isTemplateLanguage(value: string): value is TemplateLanguage {
  return (TEMPLATE_LANGUAGES as readonly string[]).includes(value);
}
