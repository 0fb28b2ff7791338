import {
  AssertionError,
  AssignTag,
  CaptureTag,
  Context,
  DecrementTag,
  ForTag,
  IncrementTag,
  Liquid,
  LiquidError,
  TablerowTag,
  Tag,
  TypeGuards,
  Value,
  filters as builtinFilters,
  toValue,
  toValueSync,
  type Emitter,
  type FilterImplOptions,
  type LiquidOptions,
  type PropertyAccessToken,
  type TagToken,
  type Template,
  type Token,
  type TopLevelToken,
  type ValueToken,
} from 'liquidjs';
import { codePoint, printable } from '../domain/address.ts';
import { MailroomError } from '../errors.ts';
import { CJK_SPACE_FILTER, cjkSpace, spaceOutputs } from './cjk-outputs.ts';
import { PLURAL_FORM_FILTER, pluralForm } from '../domain/message-format.ts';
import { inlineRenderedHtml, inlineTemplateCss, loadJuice, type JuiceFn } from './inline-css.ts';
import type { TemplatePart, VariableSpec } from './template-catalog.ts';
import { finishRendered } from '../message/finish-message.ts';
import { renderMailParts, type TemplateEngine } from './template-engine.ts';

/**
 * What one template may cost. LiquidJS's own limits (parseLimit, renderLimit, memoryLimit) are
 * checks it makes at its own steps, not a sandbox, so the engine adds hard caps of its own on
 * the size of what goes in and what comes out.
 */
export interface EngineLimits {
  /** Largest template part (and layout) accepted, in UTF-8 bytes; checked before parsing. */
  maxTemplateBytes: number;
  /** Largest rendered part (the layout with its body counts as one), in UTF-8 bytes. */
  maxOutputBytes: number;
  /** LiquidJS `parseLimit`: characters one parse may read (a second guard behind maxTemplateBytes). */
  parseLimit: number;
  /**
   * LiquidJS `renderLimit`: milliseconds of rendering after which LiquidJS stops at its next
   * step. This is what ends a runaway synchronous loop; no timer can interrupt one.
   */
  renderLimit: number;
  /**
   * LiquidJS `memoryLimit`: how much a render may allocate through ranges, filters and escaping
   * (roughly characters plus array elements), summed over the whole render.
   */
  memoryLimit: number;
  /**
   * The wall-clock time-out around a render. In process (Promise.race with a timer) it can only
   * win while the render waits on something asynchronous; the render pool (render-pool.ts) ends
   * the worker thread at this deadline instead, which stops even a single long filter call.
   */
  timeoutMs: number;
  /**
   * Largest collection a render may handle at once: a literal range, an array given to or made
   * by a filter. One filter call is one synchronous step that renderLimit cannot interrupt
   * (`(1..5000000) | sort: "x"` ran for 24 s), so its input is bounded before it runs.
   */
  maxItems: number;
  /**
   * Work units one render may spend, summed over the body and its layout: every block of
   * templates rendered (each turn of a loop) costs its length plus one, every filter call the
   * size of its input and array arguments (n·log2 n for the sorting ones). This bounds nested
   * loops and repeated filters however fast each step is.
   */
  maxWork: number;
}

export const DEFAULT_ENGINE_LIMITS: Readonly<EngineLimits> = Object.freeze({
  maxTemplateBytes: 256 * 1024,
  maxOutputBytes: 1024 * 1024,
  parseLimit: 256 * 1024,
  renderLimit: 1000,
  // Escaping charges every output character, so this must stay well above maxOutputBytes.
  // A range is charged before it is built: (1..100000000) is refused without allocating it.
  // A range whose ends come from variables is bounded only by this, so it is kept to what a
  // worker's heap holds comfortably (4M numbers are ~32 MiB).
  memoryLimit: 4_000_000,
  timeoutMs: 2000,
  // A digest lists at most 50 activities; 10000 leaves room for any data a mail has.
  maxItems: 10_000,
  // ~0.1 s of rendering on a slow machine; the largest shipped template (a digest of 50
  // activities, with the layout) spends about 12000.
  maxWork: 200_000,
});

export interface LiquidEngineOptions {
  /**
   * A layout (Liquid, html) that `render(…, 'html', …)` wraps around every html part. The body
   * is rendered first and handed to the layout as the variable `content`, a plain string of
   * already-escaped HTML: the layout must output it with `{{ content | raw }}` (a bare
   * `{{ content }}` would escape it a second time). The layout sees the same data as the body.
   * Without a layout the html part is returned as it renders.
   *
   * With a layout, the CSS of its <style> blocks (and of the body's) is inlined into style
   * attributes for mail programs that ignore <style>: in the sources, once per body source
   * (inline-css.ts), so no mail pays for it; only a body that cannot be inlined safely that way
   * has each rendered mail inlined instead.
   */
  layout?: string;
  limits?: Partial<EngineLimits>;
}

// The tags a mail template may use. include/render/layout would read other templates
// (LiquidJS's file system) and block only makes sense with layouts; they are replaced by
// tags that refuse at parse time, so they are refused wherever they appear, even in a
// `{% liquid %}` tag, at save and at render alike.
const FORBIDDEN_TAGS: Readonly<Record<string, string>> = {
  include: 'templates cannot include other files',
  render: 'templates cannot render other files',
  block: 'blocks belong to layouts, which the engine applies itself',
};

// Filters that parse a string argument as a Liquid expression when rendering: the variables
// in it escape the check at save time, so they are not offered.
const FORBIDDEN_FILTERS = ['where_exp', 'reject_exp', 'group_by_exp', 'has_exp', 'find_index_exp', 'find_exp'];

// Property names that can only reach JavaScript internals, never mail data. ownPropertyOnly
// already hides them on data objects, but not on LiquidJS's own Drops (forloop, tablerowloop),
// so they are refused by name as well.
const DENIED_NAMES: ReadonlySet<string> = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype', 'constructor', '__proto__']);

const FORLOOP_FIELDS: ReadonlySet<string> = new Set(['index', 'index0', 'rindex', 'rindex0', 'first', 'last', 'length', 'name']);
const TABLEROWLOOP_FIELDS: ReadonlySet<string> = new Set(['index', 'index0', 'rindex', 'rindex0', 'first', 'last', 'length', 'row', 'col', 'col0', 'col_first', 'col_last']);

/** Deeper block nesting than any mail needs; bounds the recursion of the checks and the render. */
const MAX_NESTING = 100;
/** Deeper data than any mail needs; also stops reference cycles in the data. */
const MAX_DATA_DEPTH = 32;
const PARSE_CACHE_SIZE = 64;

/** Thrown by the replacement tags; the parser wraps it, so it is found as `originalError`. */
class ForbiddenTagError extends Error {
  readonly tag: string;
  constructor(tag: string, message: string) {
    super(message);
    this.name = 'ForbiddenTagError';
    this.tag = tag;
  }
}

/** Thrown by the bounded emitters; LiquidJS wraps it in a RenderError. */
class OutputLimitError extends Error {
  constructor(limit: number) {
    super(`the template renders more than ${limit} characters`);
    this.name = 'OutputLimitError';
  }
}

/** Thrown when a render exceeds maxItems or maxWork; LiquidJS wraps it in a RenderError. */
class BudgetError extends Error {
  readonly reason: 'items' | 'work' | 'string';
  readonly limit: number;
  constructor(reason: 'items' | 'work' | 'string', limit: number, message: string) {
    super(message);
    this.name = 'BudgetError';
    this.reason = reason;
    this.limit = limit;
  }
}

/** What one render has spent; shared by the body and its layout, which are one render. */
interface RenderBudget {
  work: number;
}

/**
 * The budget of each render, found through its memory Limiter: LiquidJS hands that one object
 * to every Context of a render (spawned ones included) and the layout's Context gets the
 * body's, while filters and tags see only their Context.
 */
const budgets = new WeakMap<object, RenderBudget>();

function charge(ctx: Context, units: number, limits: EngineLimits): void {
  const budget = budgets.get(ctx.memoryLimit);
  if (budget === undefined) return;
  budget.work += units;
  if (budget.work > limits.maxWork) {
    throw new BudgetError('work', limits.maxWork, `the template does more work than a mail may cost (more than ${limits.maxWork} steps), e.g. loops inside loops or filters over large lists`);
  }
}

/** Items in an array-like value (Drops and ranges included), or undefined for anything else. */
function itemsOf(value: unknown): number | undefined {
  const plain: unknown = toValue(value);
  return Array.isArray(plain) ? plain.length : undefined;
}

function sizeOf(value: unknown): number {
  const plain: unknown = toValue(value);
  if (Array.isArray(plain)) return plain.length;
  if (typeof plain === 'string') return plain.length;
  return 1;
}

// Filters whose work grows as n·log n (they sort); every other filter is linear in its input.
const SORTING_FILTERS: ReadonlySet<string> = new Set(['sort', 'sort_natural', 'sample']);

type FilterHandler = Extract<FilterImplOptions, (...args: never[]) => unknown>;
type FilterThis = ThisParameterType<FilterHandler>;

const builtinEscape: FilterHandler = (() => {
  const impl = builtinFilters['escape'];
  if (typeof impl !== 'function') throw new Error('LiquidJS has no escape filter');
  return impl;
})();

/**
 * Wraps a filter so that it is charged by its input before it runs and its result is bounded
 * after: an array in or out larger than maxItems, or a string out longer than maxOutputBytes,
 * stops the render. Checking before the call is what matters: once a filter runs it cannot be
 * interrupted (LiquidJS checks renderLimit only between templates).
 */
function budgetedFilter(name: string, handler: FilterHandler, limits: EngineLimits): FilterHandler {
  const sorting = SORTING_FILTERS.has(name);
  return function* (this: FilterThis, value: unknown, ...args: unknown[]): Generator<unknown, unknown, unknown> {
    let units = 1;
    for (const input of [value, ...args]) {
      const items = itemsOf(input);
      if (items !== undefined && items > limits.maxItems) {
        throw new BudgetError('items', limits.maxItems, `the ${name} filter was given ${items} items; at most ${limits.maxItems} are allowed`);
      }
      units += sizeOf(input);
    }
    const n = sizeOf(value);
    if (sorting && n > 1) units += n * Math.ceil(Math.log2(n));
    charge(this.context, units, limits);
    const result: unknown = yield handler.call(this, value, ...args);
    const items = itemsOf(result);
    if (items !== undefined && items > limits.maxItems) {
      throw new BudgetError('items', limits.maxItems, `the ${name} filter made ${items} items; at most ${limits.maxItems} are allowed`);
    }
    if (typeof result === 'string' && result.length > limits.maxOutputBytes) {
      throw new BudgetError('string', limits.maxOutputBytes, `the ${name} filter made a text of ${result.length} characters; at most ${limits.maxOutputBytes} are allowed`);
    }
    return result;
  };
}

function forbiddenTag(reason: string) {
  return class ForbiddenTag extends Tag {
    constructor(token: TagToken, remainTokens: TopLevelToken[], liquid: Liquid) {
      super(token, remainTokens, liquid);
      throw new ForbiddenTagError(token.name, `{% ${token.name} %} is not allowed: ${reason}`);
    }
    override render(): void {}
  };
}

/**
 * `{% layout 'layout' %}` names the one layout there is; the engine applies it itself, so the
 * tag renders nothing. Any other name is refused: there is nothing else to load.
 */
class LayoutMarkerTag extends Tag {
  constructor(token: TagToken, remainTokens: TopLevelToken[], liquid: Liquid) {
    super(token, remainTokens, liquid);
    const name = this.tokenizer.readValue();
    this.tokenizer.skipBlank();
    if (!TypeGuards.isQuotedToken(name) || name.content !== 'layout' || !this.tokenizer.end()) {
      throw new ForbiddenTagError('layout', `{% ${token.content} %} is not allowed: the only layout is 'layout', which the engine applies to every html part`);
    }
  }
  override render(): void {}
}

/** LiquidJS's own output conversion (Drops to values, nil to '', arrays joined). */
function stringify(value: unknown): string {
  const plain: unknown = toValue(value);
  if (typeof plain === 'string') return plain;
  if (plain === null || plain === undefined) return '';
  if (Array.isArray(plain)) return plain.map((item: unknown) => stringify(item)).join('');
  return String(plain);
}

/** Collects output like LiquidJS's SimpleEmitter but stops as soon as it passes the cap. */
class BoundedEmitter implements Emitter {
  buffer = '';
  private readonly maxChars: number;
  private readonly maxItems: number;
  constructor(maxChars: number, maxItems: number) {
    this.maxChars = maxChars;
    this.maxItems = maxItems;
  }
  write(html: unknown): void {
    // `{{ (1..n) }}` writes a whole list: refused before it is turned into text item by item.
    const items = itemsOf(html);
    if (items !== undefined && items > this.maxItems) throw new BudgetError('items', this.maxItems, `a list of ${items} items is written out; at most ${this.maxItems} are allowed`);
    const text = stringify(html);
    // UTF-16 length never exceeds UTF-8 bytes, so this never stops a render that fits; the
    // exact byte count is checked once at the end.
    if (this.buffer.length + text.length > this.maxChars) throw new OutputLimitError(this.maxChars);
    this.buffer += text;
  }
}

/**
 * `{% capture %}` renders into a string the template can then double again and again
 * (`{% capture x %}{{ x }}{{ x }}{% endcapture %}`); the stock tag collects it without bound.
 */
function boundedCapture(limits: EngineLimits) {
  return class BoundedCaptureTag extends CaptureTag {
    override *render(ctx: Context): Generator<unknown, void, string> {
      const emitter = new BoundedEmitter(limits.maxOutputBytes, limits.maxItems);
      yield this.liquid.renderer.renderTemplates(this.templates, ctx, emitter);
      ctx.bottom()[this.variable] = emitter.buffer;
    }
  };
}

function createLiquid(escape: boolean, layout: string | undefined, limits: EngineLimits): Liquid {
  // Only the layout is in the in-memory file system; nothing is read from disk. With the
  // replacement tags nothing reads it either: this is the second lock on the same door.
  const templates: Record<string, string> = Object.create(null) as Record<string, string>;
  if (layout !== undefined) templates['layout'] = layout;
  const options: LiquidOptions = {
    // Data objects expose only their own properties: no prototype, no constructor.
    ownPropertyOnly: true,
    // An unknown filter is a parse error (with position) rather than silently skipped.
    strictFilters: true,
    // An unknown variable at render is an error rather than silently empty...
    strictVariables: true,
    // ...except in `{% if %}`/`unless` and `| default`, where testing for absence is the point.
    lenientIf: true,
    // Liquid truthiness ('' and 0 are true), as every Liquid reference documents it.
    jsTruthy: false,
    templates,
    root: [],
    partials: [],
    layouts: [],
    relativeReference: false,
    dynamicPartials: false,
    cache: false,
    parseLimit: limits.parseLimit,
    renderLimit: limits.renderLimit,
    memoryLimit: limits.memoryLimit,
    // The html part escapes every output unless it ends with `| raw`; a list is bounded before
    // escaping turns it into one string.
    ...(escape ? { outputEscape: budgetedFilter('escape', builtinEscape, limits) } : {}),
  };
  const liquid = new Liquid(options);
  for (const [name, reason] of Object.entries(FORBIDDEN_TAGS)) liquid.registerTag(name, forbiddenTag(reason));
  liquid.registerTag('layout', LayoutMarkerTag);
  liquid.registerTag('capture', boundedCapture(limits));
  for (const name of FORBIDDEN_FILTERS) liquid.unregisterFilter(name);
  liquid.registerFilter(CJK_SPACE_FILTER, cjkSpace);
  liquid.registerFilter(PLURAL_FORM_FILTER, pluralForm);
  for (const [name, impl] of Object.entries(liquid.filters)) {
    if (typeof impl === 'function') liquid.filters[name] = budgetedFilter(name, impl, limits);
    else liquid.filters[name] = { ...impl, handler: budgetedFilter(name, impl.handler, limits) };
  }
  // Every block rendered (a loop's body once per turn) is charged, so nested loops are bounded
  // by their total turns, not only by the clock.
  const renderer = liquid.renderer;
  const renderTemplates = renderer.renderTemplates.bind(renderer);
  renderer.renderTemplates = function* (templates: Template[], ctx: Context, emitter?: Emitter): Generator<unknown, unknown, unknown> {
    charge(ctx, templates.length + 1, limits);
    return yield* renderTemplates(templates, ctx, emitter);
  };
  return liquid;
}

// ---------------------------------------------------------------------------------------------
// Error mapping

interface Position {
  line: number;
  column: number;
  excerpt: string;
}

/** The original error LiquidJS wrapped (ParseError/RenderError keep it, not enumerable). */
function originalOf(error: unknown): unknown {
  let current: unknown = error;
  for (let i = 0; i < 5 && LiquidError.is(current); i++) {
    const inner: unknown = current.originalError;
    if (inner === undefined) break;
    current = inner;
  }
  return current;
}

/** The line of `source` around `column`, as one printable line. */
function lineExcerpt(source: string, line: number, column: number): string {
  const text = source.split('\n')[line - 1] ?? '';
  const start = Math.max(0, column - 31);
  return printable(text.slice(start, start + 60).trim(), 60);
}

function positionOf(token: Token, source: string): Position {
  const [line = 1, column = 1] = token.getPosition();
  const text = token.getText();
  const excerpt = text.trim() !== '' && text.length <= 80 && !text.includes('\n') ? printable(text, 80) : lineExcerpt(source, line, column);
  return { line, column, excerpt };
}

/** LiquidJS appends ", line:3, col:7" (and ", file:…"); the position is given our way instead. */
function bareMessage(message: string): string {
  return message.replace(/(, file:[^,]*)?, line:\d+, col:\d+$/, '');
}

function positioned(message: string, pos: Position | undefined): string {
  if (pos === undefined) return message;
  const near = pos.excerpt !== '' && !message.includes(pos.excerpt) ? ` near "${pos.excerpt}"` : '';
  return `line ${pos.line}, column ${pos.column}: ${message}${near}`;
}

function positionDetails(pos: Position | undefined): Record<string, unknown> {
  return pos === undefined ? {} : { line: pos.line, column: pos.column, excerpt: pos.excerpt };
}

/** Turns what LiquidJS's parser threw into template_syntax, template_forbidden or template_too_large. */
function parseFailure(error: unknown, source: string, parseLimit: number): MailroomError {
  if (error instanceof MailroomError) return error;
  const original = originalOf(error);
  const pos = LiquidError.is(error) ? positionOf(error.token, source) : undefined;
  if (original instanceof ForbiddenTagError) {
    return new MailroomError('template_forbidden', positioned(original.message, pos), { cause: error, details: { tag: original.tag, ...positionDetails(pos) } });
  }
  if (original instanceof AssertionError && original.message.startsWith('parse length limit exceeded')) {
    return new MailroomError('template_too_large', `the template is longer than the parse limit of ${parseLimit} characters`, { cause: error, details: { size: source.length, limit: parseLimit } });
  }
  if (original instanceof RangeError) {
    // The parser recurses per nested block; a stack overflow means absurd nesting.
    return new MailroomError('template_syntax', 'the template nests its blocks too deeply', { cause: error });
  }
  const message = error instanceof Error ? bareMessage(error.message) : String(error);
  return new MailroomError('template_syntax', positioned(message, pos), { cause: error, details: positionDetails(pos) });
}

/** Turns what a render threw into template_render_failed, _timeout, _output_too_large or _budget. */
function renderFailure(error: unknown, source: string, limits: EngineLimits, what: string): MailroomError {
  if (error instanceof MailroomError) return error;
  const original = originalOf(error);
  const pos = LiquidError.is(error) ? positionOf(error.token, source) : undefined;
  const details = { template: what, ...positionDetails(pos) };
  if (original instanceof BudgetError) {
    return new MailroomError('template_render_budget', positioned(`the ${what} was stopped: ${original.message}`, pos), { cause: error, details: { ...details, reason: original.reason, limit: original.limit } });
  }
  if (original instanceof OutputLimitError) {
    return new MailroomError('template_output_too_large', positioned(`the ${what} renders more than ${limits.maxOutputBytes} bytes`, pos), { cause: error, details: { ...details, limit: limits.maxOutputBytes } });
  }
  if (original instanceof AssertionError && original.message.startsWith('memory alloc limit exceeded')) {
    return new MailroomError('template_render_budget', positioned(`the ${what} builds more data than allowed (memory limit ${limits.memoryLimit}), e.g. a range or loop that is too large`, pos), {
      cause: error,
      details: { ...details, reason: 'memory', limit: limits.memoryLimit },
    });
  }
  if (original instanceof AssertionError && original.message.startsWith('template render limit exceeded')) {
    return new MailroomError('template_render_timeout', positioned(`the ${what} took longer than ${limits.renderLimit} ms to render and was stopped`, pos), { cause: error, details: { ...details, limit: limits.renderLimit } });
  }
  if (original instanceof RangeError) {
    return new MailroomError('template_render_failed', `the ${what} could not be rendered: ${original.message}`, { cause: error, details });
  }
  const message = error instanceof Error ? bareMessage(error.message) : String(error);
  return new MailroomError('template_render_failed', positioned(`the ${what} could not be rendered: ${message}`, pos), { cause: error, details });
}

// ---------------------------------------------------------------------------------------------
// Static checks: variables against the spec, property names, nesting

type Shape = { kind: 'leaf'; type: 'string' | 'number' | 'boolean' } | { kind: 'map'; spec: VariableSpec } | { kind: 'list'; item: Shape } | { kind: 'loop'; name: string; fields: ReadonlySet<string> } | { kind: 'any' };

const ANY: Shape = { kind: 'any' };
const STRING: Shape = { kind: 'leaf', type: 'string' };
const NUMBER: Shape = { kind: 'leaf', type: 'number' };

type SpecEntry = VariableSpec[string];

function isListSpec(entry: SpecEntry): entry is readonly [VariableSpec] {
  return Array.isArray(entry);
}

function shapeOfSpec(entry: SpecEntry): Shape {
  if (typeof entry === 'string') return { kind: 'leaf', type: entry };
  if (isListSpec(entry)) return { kind: 'list', item: { kind: 'map', spec: entry[0] } };
  return { kind: 'map', spec: entry };
}

/** The dotted paths a shape offers; a list's fields read `list[].field`. */
function pathsOf(shape: Shape, prefix: string): string[] {
  switch (shape.kind) {
    case 'leaf':
    case 'any':
      return prefix === '' ? [] : [prefix];
    case 'loop':
      return [...shape.fields].map((field) => `${prefix}.${field}`);
    case 'list':
      return [prefix, ...pathsOf(shape.item, `${prefix}[]`).filter((path) => path !== `${prefix}[]`)];
    case 'map':
      return Object.entries(shape.spec).flatMap(([key, entry]) => pathsOf(shapeOfSpec(entry), prefix === '' ? key : `${prefix}.${key}`));
  }
}

/** Every variable path of a spec, as the error details list them. */
function allowedPaths(spec: VariableSpec): string[] {
  return pathsOf({ kind: 'map', spec }, '');
}

/** One step down a path; undefined when the shape has no such property. */
function step(shape: Shape, key: string | number | undefined): Shape | undefined {
  switch (shape.kind) {
    case 'any':
      return ANY;
    case 'leaf':
      return key === 'size' && shape.type === 'string' ? NUMBER : undefined;
    case 'loop':
      return typeof key === 'string' && shape.fields.has(key) ? ANY : undefined;
    case 'list':
      if (key === 'size') return NUMBER;
      if (key === 'first' || key === 'last' || typeof key === 'number' || key === undefined) return shape.item;
      return undefined;
    case 'map': {
      if (typeof key !== 'string') return undefined;
      if (Object.hasOwn(shape.spec, key)) {
        const entry = shape.spec[key];
        return entry === undefined ? undefined : shapeOfSpec(entry);
      }
      return key === 'size' ? NUMBER : undefined;
    }
  }
}

/**
 * Walks a parsed template the way LiquidJS's own static analysis does (arguments, local and
 * block scopes, children), but keeps the shape of every name in scope, so a loop variable is
 * checked against the item of its list (`a.subject` in `{% for a in activities %}`).
 * With a spec, every path must be in it; without one (at render) only the names that can
 * never be data are refused.
 */
class TemplateChecker {
  private readonly scopes: Map<string, Shape>[] = [new Map()];
  private readonly spec: VariableSpec | undefined;
  private readonly source: string;
  private readonly liquid: Liquid;
  private readonly maxItems: number;

  constructor(liquid: Liquid, source: string, spec: VariableSpec | undefined, maxItems: number) {
    this.liquid = liquid;
    this.source = source;
    this.spec = spec;
    this.maxItems = maxItems;
  }

  check(templates: Template[]): void {
    for (const template of templates) this.visit(template, 0);
  }

  private visit(template: Template, depth: number): void {
    if (depth > MAX_NESTING) {
      const pos = positionOf(template.token, this.source);
      throw new MailroomError('template_syntax', positioned(`blocks are nested more than ${MAX_NESTING} deep`, pos), { details: positionDetails(pos) });
    }
    if (template.arguments) {
      for (const argument of template.arguments()) this.argument(argument);
    }
    if (template instanceof AssignTag) {
      this.declare(template, this.assignedShape(template));
    } else if (template instanceof IncrementTag || template instanceof DecrementTag) {
      this.declare(template, NUMBER);
    } else if (!(template instanceof CaptureTag)) {
      this.declare(template, ANY);
    }
    if (template.children) {
      const children = this.childrenOf(template);
      const block = this.blockScope(template);
      if (block) this.scopes.push(block);
      for (const child of children) this.visit(child, depth + 1);
      if (block) this.scopes.pop();
    }
    // A capture's body renders before its name is set: `{% capture x %}{{ x }}…` reads the old x.
    if (template instanceof CaptureTag) this.declare(template, STRING);
  }

  private childrenOf(template: Template): Template[] {
    if (!template.children) return [];
    // Every tag here returns its children without yielding (no partials are loaded).
    const result = template.children(false, true).next();
    return result.done === true ? result.value : [];
  }

  private declare(template: Template, shape: Shape): void {
    if (!template.localScope) return;
    for (const identifier of template.localScope()) {
      if (DENIED_NAMES.has(identifier.content)) this.denied(identifier.content, identifier);
      this.scopes[0]?.set(identifier.content, shape);
    }
  }

  private blockScope(template: Template): Map<string, Shape> | undefined {
    if (!template.blockScope) return undefined;
    const scope = new Map<string, Shape>();
    for (const name of template.blockScope()) scope.set(name, ANY);
    if (template instanceof ForTag) {
      scope.set(template.variable, this.itemShape(this.valueShape(template.collection)));
      scope.set('forloop', { kind: 'loop', name: 'forloop', fields: FORLOOP_FIELDS });
    } else if (template instanceof TablerowTag) {
      scope.set(template.variable, this.itemShape(this.valueShape(template.collection)));
      scope.set('tablerowloop', { kind: 'loop', name: 'tablerowloop', fields: TABLEROWLOOP_FIELDS });
    }
    return scope;
  }

  private itemShape(collection: Shape): Shape {
    return collection.kind === 'list' ? collection.item : ANY;
  }

  /** `{% assign x = user %}` keeps user's shape; anything computed by filters is unchecked. */
  private assignedShape(template: AssignTag): Shape {
    for (const argument of template.arguments()) {
      if (argument instanceof Value && argument.filters.length === 0 && argument.initial.postfix.length === 1) {
        const token = argument.initial.postfix[0];
        if (TypeGuards.isValueToken(token)) return this.valueShape(token);
      }
    }
    return ANY;
  }

  /** The shape of a value without reporting anything (its variables were checked already). */
  private valueShape(token: ValueToken): Shape {
    if (TypeGuards.isQuotedToken(token)) return STRING;
    if (TypeGuards.isNumberToken(token)) return NUMBER;
    if (TypeGuards.isRangeToken(token)) return { kind: 'list', item: NUMBER };
    if (TypeGuards.isPropertyAccessToken(token)) return this.path(token);
    return ANY;
  }

  private argument(argument: Value | ValueToken): void {
    if (argument instanceof Value) {
      for (const token of argument.initial.postfix) if (TypeGuards.isValueToken(token)) this.value(token);
      for (const filter of argument.filters) for (const arg of filter.args) this.filterArgument(arg);
    } else {
      this.value(argument);
    }
  }

  private filterArgument(arg: ValueToken | [string?, ValueToken?]): void {
    if (Array.isArray(arg)) {
      const value = arg[1];
      if (value !== undefined) this.value(value);
    } else {
      this.value(arg);
    }
  }

  private value(token: ValueToken): void {
    if (TypeGuards.isRangeToken(token)) {
      this.value(token.lhs);
      this.value(token.rhs);
      // A range with literal ends is refused here, at save, rather than when a mail is sent.
      // One whose ends are variables is bounded at render (memoryLimit, then maxItems and
      // maxWork wherever it is used).
      if (TypeGuards.isNumberToken(token.lhs) && TypeGuards.isNumberToken(token.rhs)) {
        const items = Math.floor(token.rhs.content) - Math.ceil(token.lhs.content) + 1;
        if (items > this.maxItems) {
          const pos = positionOf(token, this.source);
          throw new MailroomError('template_render_budget', positioned(`the range ${token.getText()} has ${items} items; at most ${this.maxItems} are allowed`, pos), { details: { reason: 'items', limit: this.maxItems, ...positionDetails(pos) } });
        }
      }
    } else if (TypeGuards.isFilteredValueToken(token)) {
      for (const operand of token.initial.postfix) if (TypeGuards.isValueToken(operand)) this.value(operand);
      for (const filter of token.filters) {
        // Such values (cycle candidates, grouped expressions) get their filters only at
        // render, so strictFilters has not looked at them yet.
        if (!(filter.name in this.liquid.filters)) {
          const pos = positionOf(filter, this.source);
          throw new MailroomError('template_syntax', positioned(`undefined filter: ${filter.name}`, pos), { details: positionDetails(pos) });
        }
        for (const arg of filter.args) this.filterArgument(arg);
      }
    } else if (TypeGuards.isPropertyAccessToken(token)) {
      this.path(token);
    }
  }

  private lookup(name: string): Shape | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const shape = this.scopes[i]?.get(name);
      if (shape !== undefined) return shape;
    }
    if (this.spec === undefined) return ANY;
    return step({ kind: 'map', spec: this.spec }, name);
  }

  /** Checks a variable path and returns its shape. */
  private path(token: PropertyAccessToken): Shape {
    let shape: Shape;
    let shown: string;
    let rest = token.props;
    let rootName: string;
    if (token.variable !== undefined) {
      // A literal with properties: `"x".size`, `(1..3).first`.
      this.value(token.variable);
      shape = this.valueShape(token.variable);
      shown = token.variable.getText();
      rootName = shown;
    } else {
      const root = token.props[0];
      if (root === undefined) return ANY;
      const name = this.literalKey(root);
      if (typeof name !== 'string') {
        if (TypeGuards.isValueToken(root)) this.value(root);
        if (this.spec !== undefined) this.unknown(`[${root.getText()}]`, token, undefined, 'a variable named by another variable cannot be checked');
        return ANY;
      }
      if (DENIED_NAMES.has(name)) this.denied(name, token);
      const found = this.lookup(name);
      if (found === undefined) this.unknown(token.getText(), token, undefined);
      shape = found ?? ANY;
      shown = name;
      rootName = name;
      rest = token.props.slice(1);
    }
    const rootShape = shape;
    for (const prop of rest) {
      const key = this.literalKey(prop);
      if (key === undefined && TypeGuards.isValueToken(prop)) this.value(prop);
      if (typeof key === 'string' && DENIED_NAMES.has(key)) this.denied(key, token);
      const label = key === undefined ? `[${prop.getText()}]` : typeof key === 'number' ? `[${key}]` : `.${key}`;
      const next = step(shape, key);
      if (next === undefined) {
        if (shape.kind === 'loop' && this.spec === undefined) {
          const pos = positionOf(token, this.source);
          throw new MailroomError('template_forbidden', positioned(`${shape.name} has only ${[...shape.fields].join(', ')}`, pos), { details: positionDetails(pos) });
        }
        if (this.spec !== undefined) this.unknown(token.getText(), token, this.scopes.some((scope) => scope.has(rootName)) ? { name: rootName, shape: rootShape } : undefined, `${shown} has no "${label.replace(/^\./, '')}"`);
        return ANY;
      }
      shape = next;
      shown += label;
    }
    return shape;
  }

  /** A property given literally (`.name`, `["name"]`, `[0]`), or undefined when computed. */
  private literalKey(prop: Token): string | number | undefined {
    if (TypeGuards.isWordToken(prop) || TypeGuards.isQuotedToken(prop)) return prop.content;
    if (TypeGuards.isNumberToken(prop)) return prop.content;
    return undefined;
  }

  private denied(name: string, token: Token): never {
    const pos = positionOf(token, this.source);
    throw new MailroomError('template_forbidden', positioned(`"${name}" is not allowed in a template: it reaches JavaScript internals, not mail data`, pos), { details: { property: name, ...positionDetails(pos) } });
  }

  private unknown(variable: string, token: Token, local: { name: string; shape: Shape } | undefined, why?: string): never {
    const pos = positionOf(token, this.source);
    const allowed = local !== undefined ? pathsOf(local.shape, local.name) : this.spec === undefined ? [] : allowedPaths(this.spec);
    const reason = why ?? (local !== undefined ? `"${local.name}" has no such field` : 'this template has no such variable');
    const message = `unknown variable "${variable}": ${reason}; allowed: ${allowed.join(', ') || '(none)'}`;
    throw new MailroomError('template_unknown_variable', positioned(message, pos), { details: { variable, allowed, ...positionDetails(pos) } });
  }
}

// ---------------------------------------------------------------------------------------------
// Data

/**
 * A copy of the data the template can only read as data: plain values, arrays and objects
 * without prototype (so nothing inherited is there to find, whatever LiquidJS's checks do),
 * no functions (LiquidJS calls a function it finds in a property), dates as ISO strings.
 */
function toTemplateData(value: unknown, depth = 0): unknown {
  if (depth > MAX_DATA_DEPTH) {
    throw new MailroomError('template_render_failed', `the template data is nested more than ${MAX_DATA_DEPTH} levels deep`);
  }
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'object': {
      if (value === null) return null;
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : value.toISOString();
      if (Array.isArray(value)) return value.map((item: unknown) => toTemplateData(item, depth + 1) ?? null);
      const copy: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      for (const [key, item] of Object.entries(value)) {
        const converted = toTemplateData(item, depth + 1);
        if (converted !== undefined) copy[key] = converted;
      }
      return copy;
    }
    default:
      return undefined;
  }
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

export function resolveLimits(given: Partial<EngineLimits> | undefined): EngineLimits {
  const limits: EngineLimits = { ...DEFAULT_ENGINE_LIMITS };
  for (const [key, value] of Object.entries(given ?? {})) {
    if (value === undefined) continue;
    if (!Object.hasOwn(DEFAULT_ENGINE_LIMITS, key) || typeof value !== 'number' || !(value > 0)) {
      throw new MailroomError('config_invalid_value', `template engine limit ${key} must be a positive number`, { details: { key, value } });
    }
    limits[key as keyof EngineLimits] = value;
  }
  return limits;
}

// ---------------------------------------------------------------------------------------------
// The engine

/**
 * The sandboxed Liquid engine. Two LiquidJS instances differ only in escaping: the html part
 * escapes every output (`| raw` opts out), subject and text do not. Both refuse include,
 * render, block and any layout but 'layout', read only own properties of the data, and stop
 * on unknown filters and variables.
 */
export function createLiquidEngine(options: LiquidEngineOptions = {}): TemplateEngine {
  const limits = resolveLimits(options.limits);
  const html = createLiquid(true, options.layout, limits);
  const plain = createLiquid(false, options.layout, limits);
  // Parsed templates by source: rendering a digest to many people parses it once. Entries are
  // only added after the checks passed.
  const cache = new Map<string, Template[]>();

  function liquidFor(part: TemplatePart): Liquid {
    return part === 'html' ? html : plain;
  }

  function checkSize(source: string, what: string): void {
    // The UTF-16 length is a lower bound of the byte length: a 10 MB string is refused without
    // being encoded.
    const size = source.length > limits.maxTemplateBytes ? source.length : byteLength(source);
    if (size > limits.maxTemplateBytes) {
      throw new MailroomError('template_too_large', `the ${what} is ${size} bytes; at most ${limits.maxTemplateBytes} are allowed`, { details: { size, limit: limits.maxTemplateBytes } });
    }
  }

  /** Parses and checks; throws template_too_large, template_syntax, template_forbidden, template_unknown_variable. */
  function parse(liquid: Liquid, source: string, spec: VariableSpec | undefined, what: string): Template[] {
    checkSize(source, what);
    let templates: Template[];
    try {
      templates = liquid.parse(source);
    } catch (error) {
      throw parseFailure(error, source, limits.parseLimit);
    }
    try {
      new TemplateChecker(liquid, source, spec, limits.maxItems).check(templates);
    } catch (error) {
      if (error instanceof MailroomError) throw error;
      throw parseFailure(error, source, limits.parseLimit);
    }
    return templates;
  }

  function parseCached(part: TemplatePart, source: string): Template[] {
    const key = `${part === 'html' ? 'h' : 'p'}\0${source}`;
    const hit = cache.get(key);
    if (hit !== undefined) {
      // Refresh its place: the map's order is the eviction order.
      cache.delete(key);
      cache.set(key, hit);
      return hit;
    }
    const templates = parse(liquidFor(part), source, undefined, `${part} template`);
    cache.set(key, templates);
    if (cache.size > PARSE_CACHE_SIZE) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    return templates;
  }

  const layoutTemplates = options.layout === undefined ? undefined : parseLayout(options.layout);

  function parseLayout(layout: string): Template[] {
    try {
      return parse(html, layout, undefined, 'layout');
    } catch (error) {
      if (!(error instanceof MailroomError) || error.message.startsWith('the layout')) throw error;
      throw new MailroomError(error.code, `layout: ${error.message}`, { cause: error, details: { ...(error.details ?? {}), template: 'layout' } });
    }
  }

  async function renderTemplates(liquid: Liquid, templates: Template[], scope: object, budget: Context | undefined): Promise<{ output: string; ctx: Context }> {
    // Rendered synchronously: no tag or filter here waits on anything (no partials are loaded),
    // and LiquidJS's asynchronous driver turned every nested step into an awaited promise, a third
    // of a share mail's render time and most of the garbage the render threads collected.
    const ctx =
      budget === undefined
        ? new Context(scope, liquid.options, { renderLimit: limits.renderLimit, memoryLimit: limits.memoryLimit, sync: true }, { liquid })
        : // The layout shares the body's time and memory budget: together they are one render.
          new Context(scope, liquid.options, { sync: true }, { liquid, renderLimit: budget.renderLimit, memoryLimit: budget.memoryLimit });
    if (budget === undefined) budgets.set(ctx.memoryLimit, { work: 0 });
    const emitter = new BoundedEmitter(limits.maxOutputBytes, limits.maxItems);
    toValueSync(liquid.renderer.renderTemplates(templates, ctx, emitter));
    return { output: emitter.buffer, ctx };
  }

  let juice: JuiceFn | undefined;
  // The body and layout with their CSS inlined, by body source (null: inline each mail instead).
  const inlinedCache = new Map<string, { body: Template[]; layout: Template[] } | null>();

  async function inlined(source: string, layout: string): Promise<{ body: Template[]; layout: Template[] } | null> {
    const hit = inlinedCache.get(source);
    if (hit !== undefined) {
      inlinedCache.delete(source);
      inlinedCache.set(source, hit);
      return hit;
    }
    juice ??= await loadJuice();
    const sources = inlineTemplateCss(juice, layout, source);
    let entry: { body: Template[]; layout: Template[] } | null = null;
    if (sources !== undefined) {
      try {
        // Checked like any template: whatever juice returned is held to the same rules.
        entry = { body: parse(html, sources.body, undefined, 'html template'), layout: parse(html, sources.layout, undefined, 'layout') };
      } catch {
        entry = null;
      }
    }
    inlinedCache.set(source, entry);
    if (inlinedCache.size > PARSE_CACHE_SIZE) {
      const oldest = inlinedCache.keys().next().value;
      if (oldest !== undefined) inlinedCache.delete(oldest);
    }
    return entry;
  }

  // The spaced form of each template, by source: a digest to many people rewrites it once.
  const spacedCache = new Map<string, string>();
  function spacedSource(written: string, part: TemplatePart): string {
    const key = `${part === 'html' ? 'h' : 'p'}\0${written}`;
    let spaced = spacedCache.get(key);
    if (spaced === undefined) {
      spaced = spaceOutputs(written, part === 'html');
      spacedCache.set(key, spaced);
      if (spacedCache.size > PARSE_CACHE_SIZE) {
        const oldest = spacedCache.keys().next().value;
        if (oldest !== undefined) spacedCache.delete(oldest);
      }
    }
    return spaced;
  }

  async function renderPart(written: string, part: TemplatePart, data: Record<string, unknown>): Promise<string> {
    // Values set into Chinese text are spaced by the one rule (cjk-outputs.ts); only the
    // columns of an error on such a line can differ from what the admin wrote.
    const source = spacedSource(written, part);
    let templates: Template[];
    try {
      templates = parseCached(part, source);
    } catch (error) {
      const failure = error instanceof MailroomError ? error : parseFailure(error, source, limits.parseLimit);
      // Over budget is its own answer, whether found before or while rendering.
      if (failure.code === 'template_render_budget') throw failure;
      throw new MailroomError('template_render_failed', `the ${part} template cannot be used: ${failure.message}`, { cause: failure, details: { ...(failure.details ?? {}), reason: failure.code } });
    }
    const layout = part === 'html' && layoutTemplates !== undefined ? options.layout : undefined;
    const prepared = layout !== undefined ? await inlined(source, layout) : null;
    const scope = toTemplateData(data) as Record<string, unknown>;
    const liquid = liquidFor(part);
    let body: { output: string; ctx: Context };
    try {
      body = await renderTemplates(liquid, prepared?.body ?? templates, scope, undefined);
    } catch (error) {
      // The excerpt is of the template as written; the line is the same.
      throw renderFailure(error, written, limits, `${part} template`);
    }
    let output = body.output;
    if (layout !== undefined && layoutTemplates !== undefined) {
      const layoutScope: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      Object.assign(layoutScope, scope, { content: output });
      try {
        output = (await renderTemplates(html, prepared?.layout ?? layoutTemplates, layoutScope, body.ctx)).output;
      } catch (error) {
        throw renderFailure(error, layout, limits, 'layout');
      }
      if (prepared === null) {
        juice ??= await loadJuice();
        output = inlineRenderedHtml(juice, output);
      }
    }
    const size = byteLength(output);
    if (size > limits.maxOutputBytes) {
      throw new MailroomError('template_output_too_large', `the ${part} template renders ${size} bytes; at most ${limits.maxOutputBytes} are allowed`, { details: { size, limit: limits.maxOutputBytes } });
    }
    // A header cannot hold a line break or another control character; one can only come from
    // the data here (validate refuses it in the template), such as a file name with an ESC in
    // it: a line break is folded into a space, the rest dropped, rather than failing the mail.
    return part === 'subject' ? output.replace(/[ \t]*[\r\n]+[ \t]*/g, ' ').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '') : output;
  }

  return {
    ready: async () => undefined,
    validate(source: string, part: TemplatePart, variables: VariableSpec): void {
      checkSize(source, `${part} template`);
      if (part === 'subject') {
        const at = source.search(/[\r\n]/);
        if (at >= 0) {
          const line = source.slice(0, at).split('\n').length;
          const column = at - source.lastIndexOf('\n', at - 1);
          throw new MailroomError('header_injection', `line ${line}, column ${column}: the subject must be one line; it holds a line break`, { details: { field: 'subject', line, column } });
        }
        // NUL, ESC, DEL and the other controls would reach the Subject: header raw (TAB is white space).
        const control = source.search(/[\x00-\x08\x0b-\x1f\x7f]/);
        if (control >= 0) {
          const character = codePoint(source[control] as string);
          throw new MailroomError('header_injection', `line 1, column ${control + 1}: the subject must not contain the control character ${character}`, { details: { field: 'subject', line: 1, column: control + 1, character } });
        }
      }
      parse(liquidFor(part), source, variables, `${part} template`);
    },

    renderMail(parts, data, layout) {
      return renderMailParts(render, parts, data, layout);
    },
    async renderMessage(parts, data, layout, finish) {
      return finishRendered(await renderMailParts(render, parts, data, layout), finish);
    },
    render,
  };

  async function render(source: string, part: TemplatePart, data: Record<string, unknown>): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        reject(new MailroomError('template_render_timeout', `the ${part} template did not finish rendering within ${limits.timeoutMs} ms`, { details: { limit: limits.timeoutMs } }));
      }, limits.timeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([renderPart(source, part, data), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
