/**
 * What SpamAssassin's local rules say of short Chinese mails as the real Postfix delivers them: a
 * digest of one line and a share mail. Links set as fragments into the middle of Chinese
 * sentences made HTML_OBFUSCATE_05_10 fire on a one-line digest; the mails must score clean.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { AppContext } from '../../src/context.ts';
import type { TestMailroom } from '../support/test-mailroom.ts';
import { waitForMail, type PostfixServer } from '../support/servers.ts';
import { closeAll } from '../support/close-all.ts';
import { startMailroomWithPostfix } from '../support/postfix-mailroom.ts';

const SPAMASSASSIN = '/usr/bin/spamassassin';
const DOMAIN = 'spam-rules.example.org';

/** The rules SpamAssassin's local tests (no network) find in a message, by name. */
function spamRules(raw: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    // No Bayes: nothing is learnt from the test mails, and no state is written to $HOME.
    const child = spawn(SPAMASSASSIN, ['-L', '-t', '--cf=use_bayes 0', '--cf=bayes_auto_learn 0'], { stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const status = /^X-Spam-Status: .*?tests=([\s\S]*?)\s+autolearn=/m.exec(out);
      if (code !== 0 || !status) return reject(new Error(`spamassassin exited ${code} without an X-Spam-Status header:\n${out.slice(0, 1500)}`));
      resolve((status[1] as string).split(/[\s,]+/).filter((r) => r !== '' && r !== 'none'));
    });
    child.stdin.end(raw);
  });
}

describe('short Chinese mails through the real Postfix, read by SpamAssassin', () => {
  let postfix: PostfixServer;
  let mailroom: TestMailroom;
  let ctx: AppContext;

  before(async () => {
    assert.ok(existsSync(SPAMASSASSIN), `${SPAMASSASSIN} is missing: apt-get install spamassassin (test/support/install-deps.sh does it)`);
    ({ postfix, mailroom } = await startMailroomWithPostfix({
      prefix: 'mailroom-spam-rules-',
      settings: { instance_name: '示例云盘', base_url: 'https://cloud.example.com' },
      worker: true,
    }));
    ({ ctx } = mailroom);
    await ctx.users.add({ uid: 'lihua', display_name: '李华', email: `lihua@${DOMAIN}`, language: 'zh-CN', timezone: 'Asia/Shanghai', invite: false });
    await ctx.users.add({ uid: 'wang', display_name: '王小明', email: `wang@${DOMAIN}`, language: 'zh-CN', timezone: 'Asia/Shanghai', invite: false });
  });
  after(() => closeAll(mailroom, postfix));

  it('a digest of one line and a share mail trip no HTML obfuscation rule', async () => {
    await ctx.events.ingest([
      { id: 'one-change', type: 'file.changed', actor: 'lihua', affected: ['wang'], object: { type: 'file', id: '1042', name: '预算.xlsx' } },
      { id: 'one-share', type: 'share.created', actor: 'wang', affected: ['lihua'], object: { type: 'file', id: '1043', name: '设计说明.pdf' }, link: 'https://cloud.example.com/s/Xk3pQ9' },
    ]);
    await ctx.digests.runDue({ all: true });
    const digest = await waitForMail(postfix.maildir, (m) => m.deliveredTo === `wang@${DOMAIN}`);
    const share = await waitForMail(postfix.maildir, (m) => m.deliveredTo === `lihua@${DOMAIN}`);
    for (const [what, mail] of [
      ['digest', digest],
      ['share', share],
    ] as const) {
      const rules = await spamRules(mail.raw.toString());
      assert.deepEqual(
        rules.filter((r) => r.startsWith('HTML_OBFUSCATE')),
        [],
        `${what}: ${rules.join(', ')}`,
      );
      assert.ok(rules.includes('HTML_MESSAGE'), `${what}: SpamAssassin read the HTML part (${rules.join(', ')})`);
    }
  });
});
