/**
 * Adding a user whose invitation cannot be queued: the user is added all the same and the answer
 * says why no mail went out, so that the admin resends it rather than retrying into user_exists.
 * The mail step is the one stand-in here: a real failure (a template that stops rendering, a
 * database that refuses the outbox row) cannot be produced on demand.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { createUserRepo } from '../../src/db/user-repo.ts';
import { MailroomError } from '../../src/errors.ts';
import { createUserService } from '../../src/users/user-service.ts';

describe('user:add when the invitation cannot be sent', () => {
  let dir: string;
  let database: Database;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mailroom-add-user-'));
    database = await openDatabase({ dataDir: dir });
  });
  after(async () => {
    await database?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('adds the user and reports the failure with its code instead of throwing', async () => {
    const users = createUserService({
      store: createUserRepo(database.db),
      clock: { now: () => new Date() },
      onCredentialsChanged: async () => {},
      sendInvitation: async () => {
        throw new MailroomError('template_render_timeout', 'the html template did not finish rendering within 1000 ms');
      },
      requestEmailChange: async () => {},
      checkPassword: async () => false,
    });
    const added = await users.add({ uid: 'ivy', email: 'ivy@example.org' });
    assert.equal(added.uid, 'ivy');
    assert.equal(added.invitation, undefined);
    assert.equal(added.invitation_error?.code, 'template_render_timeout');
    assert.match(added.invitation_error?.message ?? '', /the user was added: resend the invitation/);
    assert.equal((await users.get('ivy')).email, 'ivy@example.org', 'the user exists');

    const unexpected = createUserService({
      store: createUserRepo(database.db),
      clock: { now: () => new Date() },
      onCredentialsChanged: async () => {},
      sendInvitation: async () => {
        throw new TypeError('a bug');
      },
      requestEmailChange: async () => {},
      checkPassword: async () => false,
    });
    await assert.rejects(unexpected.add({ uid: 'jay', email: 'jay@example.org' }), TypeError, 'a bug is not turned into an answer');
  });
});
