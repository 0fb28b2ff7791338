import { useI18n } from '../../i18n.ts';
import { useFormat } from '../../format.tsx';
import type { MessageHeader, MessagePart } from '../../../src/domain/api-types.ts';

/** The headers (unfolded, encoded words decoded) and the parts of a message; HTML in a sandboxed frame. */
export function MessageView(props: { headers: MessageHeader[]; parts: MessagePart[]; idPrefix: string; level: 3 | 4 }) {
  const { t } = useI18n();
  const fmt = useFormat();
  const Heading = props.level === 3 ? 'h3' : 'h4';
  const PartHeading = props.level === 3 ? 'h4' : 'h5';
  return (
    <>
      <Heading id={`${props.idPrefix}-headers-title`}>{t('outboxHeaders')}</Heading>
      <div class="table-wrap">
        <table class="headers" id={`${props.idPrefix}-headers`} aria-labelledby={`${props.idPrefix}-headers-title`}>
          <tbody>
            {props.headers.map((h, i) => (
              <tr key={`${h.name}-${i}`}>
                <th scope="row">{h.name}</th>
                <td>
                  {h.decoded ?? h.value}
                  {h.decoded !== undefined && (
                    <span class="hint raw-header">
                      {t('mailHeaderRaw')}: <code>{h.value}</code>
                    </span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <Heading>{t('outboxParts')}</Heading>
      {props.parts.length === 0 && <p>{t('mailNoParts')}</p>}
      <div id={`${props.idPrefix}-parts`}>
        {props.parts.map((p, i) => (
          <section class="mail-part" key={i} data-type={p.contentType} aria-labelledby={`${props.idPrefix}-part-${i}`}>
            <PartHeading id={`${props.idPrefix}-part-${i}`}>{t('mailPart', { n: i + 1, type: p.contentType })}</PartHeading>
            <p class="hint part-meta">{[p.charset, p.transferEncoding, t('mailBytes', { n: fmt.number(p.size) })].filter(Boolean).join(' · ')}</p>
            {p.text !== undefined && <pre class="mail-text">{p.text}</pre>}
            {p.html !== undefined && (
              <>
                <iframe class="mail-html" sandbox="" srcdoc={p.html} title={t('mailHtmlFrame')} referrerpolicy="no-referrer" />
                <details class="html-source">
                  <summary>{t('mailHtmlSource')}</summary>
                  <pre>{p.html}</pre>
                </details>
              </>
            )}
          </section>
        ))}
      </div>
    </>
  );
}
