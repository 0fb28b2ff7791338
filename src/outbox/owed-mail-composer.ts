import type { Settings } from '../config/settings-schema.ts';
import { renderLinkShareMail, renderShareMail } from '../notifications/share-mail.ts';
import type { UnsubscribeLinks } from '../notifications/unsubscribe-links.ts';
import type { ComposedMessage } from '../message/compose-message.ts';
import type { MailRenderer } from '../templates/render-mail.ts';
import type { OwedPayload } from './owed-mail.ts';

/** Renders an owed mail of any type with the templates and the settings of this moment. */
export function createOwedMailComposer(deps: { renderer: MailRenderer; unsubscribe: UnsubscribeLinks }) {
  return async (payload: OwedPayload, settings: Settings): Promise<ComposedMessage> => {
    switch (payload.type) {
      case 'share':
        return renderShareMail(
          deps,
          {
            recipient: payload.recipient,
            sharerName: payload.sharerName ?? undefined,
            sharerEmail: payload.sharerEmail,
            fileName: payload.fileName,
            link: payload.link ?? undefined,
            expiration: payload.expiration ?? undefined,
            note: payload.note ?? undefined,
          },
          settings,
        );
      case 'link_share':
        return renderLinkShareMail(
          deps,
          {
            address: payload.address,
            sharer: payload.sharer,
            language: payload.language ?? undefined,
            fileName: payload.fileName,
            link: payload.link,
            expiration: payload.expiration ?? undefined,
            note: payload.note ?? undefined,
          },
          settings,
        );
      case 'account': {
        // Times went through JSON as ISO strings; the renderer writes a Date out in the reader's zone.
        const data = { ...payload.data };
        for (const key of payload.dates) if (typeof data[key] === 'string') data[key] = new Date(data[key]);
        return deps.renderer.render({ template: payload.template, to: payload.to, data }, settings);
      }
    }
  };
}

export type OwedMailComposer = ReturnType<typeof createOwedMailComposer>;
