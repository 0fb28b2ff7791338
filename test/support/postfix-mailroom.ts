/**
 * A real Postfix and a test Mailroom that sends through it: the set-up of the tests that follow a
 * mail from Mailroom's API or services into the Maildir.
 */
import { closeAll } from './close-all.ts';
import { startInstance, type TestInstance } from './instance.ts';
import { cloudSendingThrough } from './mail-fixtures.ts';
import { startPostfix, type PostfixOptions, type PostfixServer } from './servers.ts';
import { startTestMailroom, type SettingsUpdate, type TestMailroom, type TestMailroomOptions } from './test-mailroom.ts';

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

export interface InstanceWithPostfix {
  readonly postfix: PostfixServer;
  readonly instance: TestInstance;
}

/**
 * startMailroomWithPostfix for the tests that speak to the API with an admin token: Postfix, then
 * startInstance, which then sends through Postfix as cloud.example.com with `settings` on top.
 */
export async function startInstanceWithPostfix(options: { prefix: string; settings?: SettingsUpdate }): Promise<InstanceWithPostfix> {
  const postfix = await startPostfix();
  let instance: TestInstance | undefined;
  try {
    instance = await startInstance({ prefix: options.prefix });
    await instance.ctx.settings.update({ ...cloudSendingThrough(postfix), ...options.settings });
    return { postfix, instance };
  } catch (error) {
    await closeAll(instance, postfix).catch(() => undefined);
    throw error;
  }
}
