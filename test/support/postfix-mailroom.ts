/**
 * A real Postfix and a test Mailroom that sends through it: the set-up of the tests that follow a
 * mail from Mailroom's API or services into the Maildir.
 */
import { cloudSendingThrough } from './mail-fixtures.ts';
import { startPostfix, type PostfixOptions, type PostfixServer } from './servers.ts';
import { startTestMailroom, type TestMailroom, type TestMailroomOptions } from './test-mailroom.ts';

export interface MailroomWithPostfix {
  readonly postfix: PostfixServer;
  readonly mailroom: TestMailroom;
}

/**
 * Starts Postfix, then startTestMailroom with the settings of a cloud at cloud.example.com that
 * sends through it (cloudSendingThrough) and `options.settings` on top. Postfix is stopped again
 * when the Mailroom does not start; after the tests, close the Mailroom, then stop Postfix.
 */
export async function startMailroomWithPostfix(options: TestMailroomOptions & { postfix?: PostfixOptions } = {}): Promise<MailroomWithPostfix> {
  const { postfix: postfixOptions, settings, ...mailroomOptions } = options;
  const postfix = await startPostfix(postfixOptions);
  try {
    const mailroom = await startTestMailroom({ ...mailroomOptions, settings: { ...cloudSendingThrough(postfix), ...settings } });
    return { postfix, mailroom };
  } catch (error) {
    await postfix.stop().catch(() => undefined);
    throw error;
  }
}
