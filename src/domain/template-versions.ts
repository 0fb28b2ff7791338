import type { TemplateVersionAction } from './api-types.ts';

/** One stored version of a template: a save, a reset to the shipped default, or a restore. */
export interface StoredTemplateVersion {
  id: number;
  name: string;
  lang: string;
  subject: string;
  html: string;
  text: string;
  action: TemplateVersionAction;
  createdBy: string;
  /** Epoch ms. */
  createdAt: number;
}

export type NewTemplateVersion = Omit<StoredTemplateVersion, 'id'>;
