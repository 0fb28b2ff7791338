import { useI18n, type MessageKey } from '../../i18n.ts';

/** The states of an outbox mail, in the order the counts show them (src/domain/outbox.ts OUTBOX_STATES). */
export const STATES = ['queued', 'sending', 'sent', 'failed', 'cancelled'] as const;
export type OutboxState = (typeof STATES)[number];

export function StateBadge(props: { state: string }) {
  const { t } = useI18n();
  const known = (STATES as readonly string[]).includes(props.state);
  return <span class={`badge ${props.state}`}>{known ? t(`state_${props.state}` as MessageKey) : props.state}</span>;
}
