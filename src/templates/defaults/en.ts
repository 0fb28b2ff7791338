import { SHIPPED_TEMPLATES } from '../shipped-templates.ts';
import type { TemplateName, TemplateParts } from '../template-catalog.ts';

/** The shipped templates in this language: the one structure (structure.ts) with its catalog's words. */
export const templates: Readonly<Record<TemplateName, TemplateParts>> = SHIPPED_TEMPLATES['en'];
