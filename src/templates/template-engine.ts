import type { TemplatePart, VariableSpec } from './template-catalog.ts';

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
  /** Ends what the engine runs beside the caller (the render pool's threads); renders after it fail. */
  close?(): Promise<void>;
}
