import { MailroomError } from '../errors.ts';
import type { TemplateEngine } from './template-engine.ts';

/**
 * An engine loaded on first use: LiquidJS is ~17 MiB that a worker which only sends queued mail
 * never needs. `render` loads it itself; `validate` is synchronous, so callers await `ready()`.
 */
export function createLazyEngine(load: () => Promise<TemplateEngine>): TemplateEngine {
  let engine: TemplateEngine | undefined;
  let loading: Promise<TemplateEngine> | undefined;
  const get = () => (loading ??= load().then((e) => (engine = e)));
  return {
    async ready() {
      await get();
    },
    validate(source, part, variables) {
      if (!engine) throw new MailroomError('internal_error', 'The template engine is not loaded yet: await ready() first');
      engine.validate(source, part, variables);
    },
    async render(source, part, data) {
      return (await get()).render(source, part, data);
    },
    async renderMail(parts, data, layout) {
      return (await get()).renderMail(parts, data, layout);
    },
    async renderMessage(parts, data, layout, finish) {
      return (await get()).renderMessage(parts, data, layout, finish);
    },
    async close() {
      // Not loaded: nothing runs. Loading: wait for it, or its threads would outlive the close.
      if (loading)
        await loading.then(
          (e) => e.close?.(),
          () => undefined,
        );
    },
  };
}
