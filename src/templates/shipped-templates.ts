import { structure } from './defaults/structure.ts';
import { allTemplates } from './message-templates.ts';
import type { TemplateLanguage, TemplateName, TemplateParts } from './template-catalog.ts';

/**
 * The templates Mailroom ships, per language: what is in force until an admin saves a version.
 * One structure (defaults/structure.ts) with each language's words from its catalog, made once
 * when the module loads (a few milliseconds for every language).
 */
export const SHIPPED_TEMPLATES: Readonly<Record<TemplateLanguage, Readonly<Record<TemplateName, TemplateParts>>>> = allTemplates(structure);

export function shippedParts(name: TemplateName, language: TemplateLanguage): TemplateParts {
  return SHIPPED_TEMPLATES[language][name];
}
