import type { FastifyInstance } from 'fastify';
import { MailroomError } from '../errors.ts';

/**
 * How deep a JSON body may nest. Event `data` and the rest are a few levels deep; 5000 levels
 * overflowed the stack later, in JSON.stringify when the event was stored (a 500), so the body is
 * refused where it is read, with a 400 that says why.
 */
export const MAX_JSON_DEPTH = 64;

/** Whether `value` holds arrays or objects nested more than `max` deep; a walk with its own stack, so it cannot overflow either. */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [node, depth] = item;
    if (typeof node !== 'object' || node === null) continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

/**
 * Fastify's JSON parser (with its __proto__ and constructor checks) followed by the depth check.
 * A body nested too deep is `invalid_request` (400).
 */
export function installJsonBodyParser(app: FastifyInstance, maxDepth = MAX_JSON_DEPTH): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    // fastify's parser answers through the callback; its promise (in the types) is not used.
    void parse(request, typeof body === 'string' ? body : body.toString('utf8'), (error, value) => {
      if (error) return done(error, undefined);
      if (nestedDeeperThan(value, maxDepth)) return done(new MailroomError('invalid_request', `The JSON body is nested more than ${maxDepth} levels deep`, { details: { limit: maxDepth } }), undefined);
      return done(null, value);
    });
  });
}
