import { LANGUAGES } from '../domain/languages.ts';
import { MailroomError, isMailroomError } from '../errors.ts';
import { textFromHtml } from '../message/html-to-text.ts';
import { SHIPPED_TEMPLATES } from './shipped-templates.ts';
import { sampleData } from './sample-data.ts';
import { TEMPLATE_DEFINITIONS, TEMPLATE_LANGUAGES, TEMPLATE_NAMES, isTemplateLanguage, isTemplateName, variablesOf, type TemplateLanguage, type TemplateName, type TemplatePart, type TemplateParts, type VariableSpec } from './template-catalog.ts';
import type { TemplateEngine } from './template-engine.ts';
import type { NewTemplateVersion, StoredTemplateVersion } from '../domain/template-versions.ts';
import type { TemplateDetail as ApiTemplateDetail, TemplatePreview, TemplateSummary as ApiTemplateSummary, TemplateVersionAction, TemplateVersionInfo, TemplateVersionJson } from '../domain/api-types.ts';

export type { TemplateVersionAction };

export type { StoredTemplateVersion };

/** The template versions as the service needs them (implemented by db/template-repo.ts). */
export interface TemplateStore {
  addVersion(version: NewTemplateVersion): Promise<{ id: number }>;
  /** The newest version of one template, or undefined when it was never changed. */
  latest(name: string, lang: string): Promise<StoredTemplateVersion | undefined>;
  /** One version by id, or undefined when that id is not a version of this name and language. */
  find(name: string, lang: string, id: number): Promise<StoredTemplateVersion | undefined>;
  /** Every version of one template, newest first. */
  versions(name: string, lang: string): Promise<StoredTemplateVersion[]>;
  /** The newest version of every template that has one. */
  latestOfEach(): Promise<StoredTemplateVersion[]>;
}

/** One entry of GET /templates (the shape is the API's: domain/api-types.ts). */
export type TemplateSummary = ApiTemplateSummary<TemplateName>;

export type { TemplateVersionInfo };

/** One version with its parts (`template:get --version`, GET …/versions/:id). */
export interface TemplateVersionDetail extends TemplateVersionInfo {
  name: TemplateName;
  lang: TemplateLanguage;
  /** The parts as saved; all three empty for a 'reset' (the shipped default was in force). */
  parts: TemplateParts;
}

export type { TemplateVersionJson };

/** The public form of a version: the fields of the version list, and the parts. */
export function versionJson(v: TemplateVersionDetail): TemplateVersionJson {
  return {
    id: v.id,
    action: v.action,
    createdBy: v.createdBy,
    createdAt: v.createdAt,
    subject: v.parts.subject,
    html: v.parts.html,
    text: v.parts.text,
    ...(v.restoredFrom !== undefined ? { restoredFrom: v.restoredFrom } : {}),
  };
}

export type TemplateDetail = ApiTemplateDetail<TemplateName>;

export type { TemplatePreview };

export interface PreviewOptions {
  /** Which body to render; both when not given. */
  format?: 'html' | 'text' | undefined;
  /** A draft to render instead of the parts in force; parts not given are the ones in force. */
  parts?: Partial<TemplateParts> | undefined;
}

/** How the layout looks (the mail_logo_*, mail_accent_color and mail_footer settings). */
export interface LayoutAppearance {
  logoUrl: string;
  logoDarkUrl: string;
  logoWidth: number;
  logoHeight: number;
  accentColor: string;
  footer: string;
  /** The instance the preview's sample data is made for (its name and links); example values when not given. */
  instanceName?: string;
  baseUrl?: string;
}

const DEFAULT_APPEARANCE: LayoutAppearance = { logoUrl: '', logoDarkUrl: '', logoWidth: 160, logoHeight: 40, accentColor: '#0082c9', footer: '' };

/** The layout's own variables (layout.ts) for an appearance. */
function layoutData(look: LayoutAppearance): Record<string, unknown> {
  return { logo_url: look.logoUrl, logo_dark_url: look.logoDarkUrl, logo_width: look.logoWidth, logo_height: look.logoHeight, accent_color: look.accentColor, footer: look.footer };
}

/** The layout's direction variables for a language (layout.ts). */
function directionOf(lang: TemplateLanguage): { dir: 'ltr' | 'rtl'; start_side: 'left' | 'right' } {
  const dir = LANGUAGES[lang].direction;
  return { dir, start_side: dir === 'rtl' ? 'right' : 'left' };
}

const SHIPPED = SHIPPED_TEMPLATES;
const PART_NAMES: readonly TemplatePart[] = ['subject', 'html', 'text'];
/** The render failures that say a template costs too much, whatever data it is given. */
const BUDGET_CODES: ReadonlySet<string> = new Set(['template_render_budget', 'template_render_timeout', 'template_output_too_large']);

/** The variables of a spec as dotted paths; a list's fields read `list[].field`. */
export function variablePaths(spec: VariableSpec, prefix = ''): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(spec)) {
    const path = `${prefix}${key}`;
    if (typeof value === 'string') out.push(path);
    else if (Array.isArray(value)) {
      out.push(path);
      out.push(...variablePaths((value as readonly [VariableSpec])[0], `${path}[].`));
    } else out.push(...variablePaths(value as VariableSpec, `${path}.`));
  }
  return out;
}

/** A 'set' or 'restore' version holds parts; a 'reset' puts the shipped default in force. */
const hasParts = (v: StoredTemplateVersion | undefined): v is StoredTemplateVersion => v !== undefined && v.action !== 'reset';
const partsOfVersion = (v: StoredTemplateVersion): TemplateParts => ({ subject: v.subject, html: v.html, text: v.text });

/**
 * For each 'restore' among `versions` (any order), the version it restored: the newest earlier
 * 'set' with the same three parts. Derived rather than stored, so no migration was needed; when
 * two saves were identical, the later one is named, which shows the same text.
 */
function restoreSources(versions: readonly StoredTemplateVersion[]): Map<number, number> {
  const newestSet = new Map<string, number>();
  const sources = new Map<number, number>();
  for (const v of [...versions].sort((a, b) => a.id - b.id)) {
    const key = JSON.stringify([v.subject, v.html, v.text]);
    if (v.action === 'set') newestSet.set(key, v.id);
    else if (v.action === 'restore') {
      const from = newestSet.get(key);
      if (from !== undefined) sources.set(v.id, from);
    }
  }
  return sources;
}

function versionInfo(v: StoredTemplateVersion, sources: ReadonlyMap<number, number>): TemplateVersionInfo {
  const from = sources.get(v.id);
  return { id: v.id, action: v.action, createdBy: v.createdBy, createdAt: new Date(v.createdAt).toISOString(), ...(from !== undefined ? { restoredFrom: from } : {}) };
}

function checkTemplate(name: string, lang: string): { name: TemplateName; lang: TemplateLanguage } {
  if (!isTemplateName(name)) throw new MailroomError('not_found', `No template is named "${name}"; the templates are ${TEMPLATE_NAMES.join(', ')}`, { details: { name, allowed: [...TEMPLATE_NAMES] } });
  if (!isTemplateLanguage(lang)) throw new MailroomError('not_found', `Templates have no language "${lang}"; the languages are ${TEMPLATE_LANGUAGES.join(', ')}`, { details: { lang, allowed: [...TEMPLATE_LANGUAGES] } });
  return { name, lang };
}

/**
 * The editable templates: the shipped default of each name and language until an admin saves
 * a version of their own. Every save and reset is kept as a version; a save is validated whole
 * (syntax, variables, forbidden tags, sizes) before anything is stored.
 */
export function createTemplateService(deps: {
  store: TemplateStore;
  /** An engine with the layout (`createLiquidEngine({ layout })`): it wraps every html part. */
  engine: TemplateEngine;
  clock: { now(): Date };
  /** The layout's look for previews; the settings' defaults when not given. */
  appearance?: () => Promise<LayoutAppearance>;
}) {
  /** Throws the engine's error for the first bad part, naming the part. */
  function validate(name: TemplateName, parts: Partial<TemplateParts>): void {
    const variables = variablesOf(name);
    for (const part of PART_NAMES) {
      const source = parts[part];
      if (source === undefined || (part === 'text' && source === '')) continue;
      try {
        deps.engine.validate(source, part, variables);
      } catch (error) {
        if (!isMailroomError(error)) throw error;
        throw new MailroomError(error.code, `${part}: ${error.message}`, { cause: error, details: { ...(error.details ?? {}), part } });
      }
    }
  }

  /**
   * Renders each part once with the template's sample data (the preview's) and refuses the save
   * when one does not fit the render budget: such a template would fail every mail it makes.
   * Other render failures are left to the preview, as before: sample data is not real data.
   */
  async function checkBudget(name: TemplateName, lang: TemplateLanguage, parts: TemplateParts): Promise<void> {
    const sample = sampleData(name, lang);
    const data = { ...sample, lang, ...directionOf(lang), title: '', ...layoutData(DEFAULT_APPEARANCE) };
    for (const part of PART_NAMES) {
      if (part === 'text' && parts.text.trim() === '') continue;
      try {
        await deps.engine.render(parts[part], part, part === 'html' ? data : sample);
      } catch (error) {
        if (!isMailroomError(error) || !BUDGET_CODES.has(error.code)) continue;
        throw new MailroomError(error.code, `${part}: ${error.message}`, { cause: error, details: { ...(error.details ?? {}), part } });
      }
    }
  }

  async function partsInForce(name: TemplateName, lang: TemplateLanguage): Promise<TemplateParts> {
    const latest = await deps.store.latest(name, lang);
    return hasParts(latest) ? partsOfVersion(latest) : { ...SHIPPED[lang][name] };
  }

  async function detail(name: TemplateName, lang: TemplateLanguage): Promise<TemplateDetail> {
    const versions = await deps.store.versions(name, lang);
    const latest = versions[0];
    const sources = restoreSources(versions);
    return {
      name,
      lang,
      description: TEMPLATE_DEFINITIONS[name].description,
      variables: variablePaths(variablesOf(name)),
      customized: hasParts(latest),
      parts: hasParts(latest) ? partsOfVersion(latest) : { ...SHIPPED[lang][name] },
      versions: versions.map((v) => versionInfo(v, sources)),
    };
  }

  /** Validates the three parts whole and, only when all pass, stores them as the newest version. */
  async function save(t: { name: TemplateName; lang: TemplateLanguage }, parts: TemplateParts, action: 'set' | 'restore', actor: string): Promise<TemplateDetail> {
    await deps.engine.ready();
    if (parts.subject.trim() === '') throw new MailroomError('invalid_request', 'subject: must not be empty', { details: { part: 'subject' } });
    if (parts.html.trim() === '') throw new MailroomError('invalid_request', 'html: must not be empty', { details: { part: 'html' } });
    validate(t.name, parts);
    await checkBudget(t.name, t.lang, parts);
    await deps.store.addVersion({ name: t.name, lang: t.lang, subject: parts.subject, html: parts.html, text: parts.text, action, createdBy: actor, createdAt: deps.clock.now().getTime() });
    return detail(t.name, t.lang);
  }

  async function findVersion(name: string, lang: string, id: number): Promise<TemplateVersionDetail> {
    const t = checkTemplate(name, lang);
    const v = Number.isSafeInteger(id) && id > 0 ? await deps.store.find(t.name, t.lang, id) : undefined;
    if (!v) throw new MailroomError('not_found', `Template ${t.name} (${t.lang}) has no version ${id}; template:get ${t.name} --lang ${t.lang} --json lists its versions`, { details: { name: t.name, lang: t.lang, version: id } });
    const sources = v.action === 'restore' ? restoreSources(await deps.store.versions(t.name, t.lang)) : new Map<number, number>();
    return { ...versionInfo(v, sources), name: t.name, lang: t.lang, parts: partsOfVersion(v) };
  }

  return {
    /** Every template in every language, with whether an admin's version is in force. */
    async list(): Promise<TemplateSummary[]> {
      const latest = new Map((await deps.store.latestOfEach()).map((v) => [`${v.name}\n${v.lang}`, v]));
      return TEMPLATE_NAMES.flatMap((name) =>
        TEMPLATE_LANGUAGES.map((lang) => {
          const v = latest.get(`${name}\n${lang}`);
          return {
            name,
            lang,
            description: TEMPLATE_DEFINITIONS[name].description,
            customized: hasParts(v),
            updatedAt: v ? new Date(v.createdAt).toISOString() : null,
            updatedBy: v ? v.createdBy : null,
            variables: variablePaths(variablesOf(name)),
          };
        }),
      );
    },

    /** The parts in force, for sending: the newest version with parts, or the shipped default. */
    partsOf: partsInForce,

    /** The parts in force and every version, newest first. */
    async get(name: string, lang: string): Promise<TemplateDetail> {
      const t = checkTemplate(name, lang);
      return detail(t.name, t.lang);
    },

    /**
     * Validates the three parts (an empty text is derived from the HTML when sending) and, only
     * when all pass, stores them as the newest version. Resolves with the new state.
     */
    async set(name: string, lang: string, parts: TemplateParts, actor: string): Promise<TemplateDetail> {
      return save(checkTemplate(name, lang), parts, 'set', actor);
    },

    /**
     * One version of a template with its parts. not_found when the id is not a version of this
     * name and language (an id of another template is not shown through this one).
     */
    version: findVersion,

    /**
     * Saves the parts of an older version again, as a new version with action 'restore'; the
     * versions after it stay listed. The parts are validated as a save is: a version that no
     * longer passes (it uses a variable the template has since lost, or is larger than now
     * allowed) is refused with the same codes, and nothing is stored. A 'reset' version has no
     * parts to restore: invalid_request (reset() puts the default back).
     */
    async restore(name: string, lang: string, id: number, actor: string): Promise<TemplateDetail> {
      const source = await findVersion(name, lang, id);
      if (source.action === 'reset') {
        throw new MailroomError('invalid_request', `Version ${id} of ${source.name} (${source.lang}) is a reset to the shipped default and holds no parts to restore; reset the template to put the default back`, {
          details: { name: source.name, lang: source.lang, version: id, action: 'reset' },
        });
      }
      try {
        return await save({ name: source.name, lang: source.lang }, source.parts, 'restore', actor);
      } catch (error) {
        if (!isMailroomError(error)) throw error;
        // The code and message a save of these parts would give (the page marks the part by
        // them); the details add which version it was.
        throw new MailroomError(error.code, error.message, { cause: error, details: { ...(error.details ?? {}), version: id } });
      }
    },

    /** Puts the shipped default back in force; the earlier versions stay listed. */
    async reset(name: string, lang: string, actor: string): Promise<TemplateDetail> {
      const t = checkTemplate(name, lang);
      await deps.store.addVersion({ name: t.name, lang: t.lang, subject: '', html: '', text: '', action: 'reset', createdBy: actor, createdAt: deps.clock.now().getTime() });
      return detail(t.name, t.lang);
    },

    /**
     * Renders the template in force, or a draft of it, with the sample data of its name and
     * language; nothing is stored or sent. A draft is validated as a save would be.
     */
    async preview(name: string, lang: string, options: PreviewOptions = {}): Promise<TemplatePreview> {
      await deps.engine.ready();
      const t = checkTemplate(name, lang);
      const draft = options.parts ?? {};
      validate(t.name, draft);
      const current = await partsInForce(t.name, t.lang);
      const parts: TemplateParts = { subject: draft.subject ?? current.subject, html: draft.html ?? current.html, text: draft.text ?? current.text };
      const look = deps.appearance ? await deps.appearance() : DEFAULT_APPEARANCE;
      const instance = look.instanceName !== undefined && look.baseUrl !== undefined ? { instance_name: look.instanceName, base_url: look.baseUrl, now: deps.clock.now() } : undefined;
      const sample = sampleData(t.name, t.lang, instance);
      const subject = (await deps.engine.render(parts.subject, 'subject', sample)).trim();
      // The layout sees the body's data: give it what it uses besides instance_name and base_url.
      const data = { ...sample, lang: t.lang, ...directionOf(t.lang), title: subject, ...layoutData(look) };
      const wantHtml = options.format !== 'text';
      const wantText = options.format !== 'html';
      const html = wantHtml || (wantText && parts.text.trim() === '') ? await deps.engine.render(parts.html, 'html', data) : undefined;
      let text: string | undefined;
      if (wantText) text = parts.text.trim() === '' ? await textFromHtml(html as string) : await deps.engine.render(parts.text, 'text', data);
      return { subject, ...(wantHtml ? { html: html as string } : {}), ...(text !== undefined ? { text } : {}) };
    },
  };
}

export type TemplateService = ReturnType<typeof createTemplateService>;
