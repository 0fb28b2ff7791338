import type { ComposedMessage } from '../message/compose-message.ts';
import type { FinishJob, RenderedMail } from '../message/finish-message.ts';
import type { TemplatePart, TemplateParts, VariableSpec } from './template-catalog.ts';

export type { FinishJob, RenderedMail } from '../message/finish-message.ts';

/**
 * The sandboxed template engine (LiquidJS). `validate` runs when an admin saves a template and
 * throws a MailroomError naming what is wrong; `render` runs when a mail is built.
 */
export interface TemplateEngine {
  /** Resolves once the engine can validate; an engine loaded on first use loads here. */
  ready(): Promise<void>;
  /**
   * Parses `source` and checks every variable it names against `variables`.
   * Throws `template_syntax` (details: line, column, excerpt), `template_unknown_variable`
   * (details: variable, allowed), `template_forbidden` (include/render of a file, other tags
   * not allowed), `template_too_large`, or `header_injection` for a subject with a line break.
   */
  validate(source: string, part: TemplatePart, variables: VariableSpec): void;
  /**
   * Renders `source` with `data`. In the html part every output is HTML-escaped unless the
   * template says otherwise; the other parts are not escaped. `layout` wraps an html part:
   * the rendered body is given to the layout as `content` (already safe HTML).
   * Throws `template_render_failed`, `template_render_timeout` or `template_output_too_large`.
   */
  render(source: string, part: TemplatePart, data: Record<string, unknown>): Promise<string>;
  /**
   * The parts of one mail at once: the subject with `data`, the html part with `data` and
   * `layout` and the subject (trimmed) as `title`, the text part with `data` unless it is empty.
   * The render pool does it in one trip to a worker instead of three (each copies the data).
   */
  renderMail(parts: TemplateParts, data: Record<string, unknown>, layout: Record<string, unknown>): Promise<RenderedMail>;
  /**
   * renderMail, then the one finishing step (finish-message.ts) in the same place: the render
   * pool composes and signs the message in its thread, beside the render, so the thread that
   * queues and sends mail does neither.
   */
  renderMessage(parts: TemplateParts, data: Record<string, unknown>, layout: Record<string, unknown>, finish: FinishJob): Promise<ComposedMessage>;
  /** Ends what the engine runs beside the caller (the render pool's threads); renders after it fail. */
  close?(): Promise<void>;
}

/** renderMail in terms of render: what an engine that renders in place does. */
export async function renderMailParts(render: TemplateEngine['render'], parts: TemplateParts, data: Record<string, unknown>, layout: Record<string, unknown>): Promise<RenderedMail> {
  const subject = await render(parts.subject, 'subject', data);
  const html = await render(parts.html, 'html', { ...data, ...layout, title: subject.trim() });
  const text = parts.text.trim() === '' ? undefined : await render(parts.text, 'text', data);
  return { subject, html, text };
}
