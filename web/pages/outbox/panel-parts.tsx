import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { Notice } from '../../components.tsx';
import { useI18n } from '../../i18n.ts';

/**
 * The top of an opened mail (an outbox mail's, a captured mail's): its title, which takes the
 * focus when it opens so screen readers announce it, and Close; then the load's error or "Loading…".
 */
export function DetailsHead(props: { titleId: string; level: 2 | 3; title: string; error: string | null; loading: boolean; onClose(): void }) {
  const { t } = useI18n();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const Heading = props.level === 2 ? 'h2' : 'h3';
  return (
    <>
      <div class="details-head">
        <Heading id={props.titleId} tabIndex={-1} ref={heading}>
          {props.title}
        </Heading>
        <button type="button" class="close" onClick={props.onClose}>
          {t('close')}
        </button>
      </div>
      {props.error && <Notice kind="error">{t('errorGeneric', { message: props.error })}</Notice>}
      {props.loading && !props.error && <p>{t('loading')}</p>}
    </>
  );
}

/** A paged list's title with its Refresh button, off while a page is being read. */
export function ListHead(props: { titleId: string; refreshId: string; busy: boolean; onRefresh(): void; children: ComponentChildren }) {
  const { t } = useI18n();
  return (
    <div class="details-head">
      <h2 id={props.titleId}>{props.children}</h2>
      <button type="button" id={props.refreshId} disabled={props.busy} onClick={props.onRefresh}>
        {t('outboxRefresh')}
      </button>
    </div>
  );
}

/** The button that reads a paged list's next page, off while a page is being read. */
export function MorePages(props: { id: string; busy: boolean; onMore(): void; children: ComponentChildren }) {
  return (
    <p>
      <button type="button" id={props.id} disabled={props.busy} onClick={props.onMore}>
        {props.children}
      </button>
    </p>
  );
}
