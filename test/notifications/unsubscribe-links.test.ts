import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { EVENT_TYPES, type EventType } from '../../src/domain/event-types.ts';
import { applyPatch, BUILT_IN_PREFERENCES, effectivePreferences, preferencesPatchSchema, type StoredPreferences } from '../../src/domain/preferences.ts';
import { isMailroomError } from '../../src/errors.ts';
import { createUnsubscribeLinks } from '../../src/notifications/unsubscribe-links.ts';

const links = createUnsubscribeLinks(randomBytes(32));

/** Asserts that `verify` refuses the token as not issued here. */
function refused(token: string, verify = links.verify): void {
  assert.throws(
    () => verify(token),
    (error: unknown) => isMailroomError(error) && error.code === 'unsubscribe_token_invalid',
    `refused: ${JSON.stringify(token)}`,
  );
}

/** The token's three parts: the uid (base64url), the types, the signature. */
function partsOf(token: string): [string, string, string] {
  const parts = token.split('~');
  assert.equal(parts.length, 3, `three parts in ${token}`);
  return parts as [string, string, string];
}

/** One character changed to another of the same alphabet. */
function flip(s: string, at: number): string {
  const c = s[at] as string;
  return s.slice(0, at) + (c === 'A' ? 'B' : 'A') + s.slice(at + 1);
}

describe('unsubscribe tokens', () => {
  it('carry the user and the types of the mail, and come back as they went in', () => {
    const token = links.token('alice', ['file.changed', 'share.created']);
    assert.deepEqual(links.verify(token), { uid: 'alice', types: ['share.created', 'file.changed'] });
  });

  it('hold uids with dots, @ and dashes, every type at once, and a type named twice once', () => {
    assert.deepEqual(links.verify(links.token('li.hua@example-cloud.org', EVENT_TYPES)), { uid: 'li.hua@example-cloud.org', types: [...EVENT_TYPES] });
    assert.deepEqual(links.verify(links.token('bob', ['comment.created', 'comment.created'])).types, ['comment.created']);
    const longest = `u${'x'.repeat(63)}`;
    assert.equal(links.verify(links.token(longest, ['tag.assigned'])).uid, longest, 'a 64-character uid fits');
  });

  it('are safe in a URL path as they are, and the link sits under base_url', () => {
    const token = links.token('alice', ['share.created']);
    assert.match(token, /^[A-Za-z0-9_~.-]+$/, 'only unreserved characters');
    assert.equal(links.url('https://cloud.example.com/', token), `https://cloud.example.com/unsubscribe/${token}`);
    assert.equal(links.url('https://example.com/cloud//', token), `https://example.com/cloud/unsubscribe/${token}`);
  });

  it('refuse a changed user: the signature no longer matches', () => {
    const [, types, signature] = partsOf(links.token('alice', ['share.created']));
    refused(`${Buffer.from('mallory').toString('base64url')}~${types}~${signature}`);
    // Signed for bob, handed in as alice's: each part belongs to its own signature.
    const [bob] = partsOf(links.token('bob', ['share.created']));
    refused(`${bob}~${types}~${signature}`);
  });

  it('refuse changed types: a link for one kind of mail cannot turn off others', () => {
    const [uid, , signature] = partsOf(links.token('alice', ['share.created']));
    refused(`${uid}~0.1.2.3.4.5.6.7~${signature}`);
    refused(`${uid}~1~${signature}`);
  });

  it('refuse a changed or cut signature', () => {
    const token = links.token('alice', ['share.created']);
    const [uid, types, signature] = partsOf(token);
    refused(`${uid}~${types}~${flip(signature, 0)}`);
    refused(`${uid}~${types}~${flip(signature, signature.length - 1)}`);
    refused(`${uid}~${types}~${signature.slice(0, -1)}`);
    refused(`${uid}~${types}~`);
    refused(`${uid}~${types}`);
    refused(`${token}x`);
    assert.deepEqual(links.verify(token).uid, 'alice', 'the untouched token still works');
  });

  it('refuse what is not a token at all', () => {
    for (const junk of ['', '~~', 'alice', '../../etc/passwd', `${'A'.repeat(121)}~0~${'A'.repeat(32)}`, `YWxpY2U~0~${'%'.repeat(32)}`]) refused(junk);
  });

  it('refuse a token made with another secret key (another Mailroom instance)', () => {
    const other = createUnsubscribeLinks(randomBytes(32));
    const theirs = other.token('alice', ['share.created']);
    refused(theirs);
    refused(links.token('alice', ['share.created']), other.verify);
    assert.notEqual(theirs, links.token('alice', ['share.created']));
    assert.deepEqual(other.verify(theirs).uid, 'alice', 'each instance accepts its own');
  });

  it('stay valid for an instance that reads the same secret key again (a restart, a second machine)', () => {
    const key = randomBytes(32);
    const token = createUnsubscribeLinks(key).token('alice', ['file.deleted']);
    assert.deepEqual(createUnsubscribeLinks(Buffer.from(key)).verify(token), { uid: 'alice', types: ['file.deleted'] });
  });
});

describe('notification preferences: built-in < admin defaults < user', () => {
  const none: StoredPreferences = { frequency: null, own_actions: null, types: {} };

  it("without any choice, every type is mailed and listed, hourly, without one's own actions", () => {
    const prefs = effectivePreferences(undefined, undefined);
    assert.equal(prefs.frequency, 'hourly');
    assert.equal(prefs.own_actions, false);
    assert.deepEqual(Object.keys(prefs.types).sort(), [...EVENT_TYPES].sort());
    for (const type of EVENT_TYPES) assert.deepEqual(prefs.types[type], { email: true, stream: true }, type);
    assert.deepEqual(effectivePreferences(none, none), prefs, 'stored rows with nothing chosen change nothing');
  });

  it("the admin's defaults replace the built-in ones, field by field", () => {
    const defaults: StoredPreferences = { frequency: 'daily', own_actions: true, types: { 'file.changed': { email: false } } };
    const prefs = effectivePreferences(defaults, undefined);
    assert.equal(prefs.frequency, 'daily');
    assert.equal(prefs.own_actions, true);
    assert.deepEqual(prefs.types['file.changed'], { email: false, stream: true }, 'stream stays built-in when only email was chosen');
    assert.deepEqual(prefs.types['share.created'], { email: true, stream: true });
  });

  it("a user's own choices win over the admin's, also when they turn something back on", () => {
    const defaults: StoredPreferences = { frequency: 'daily', own_actions: true, types: { 'file.changed': { email: false }, 'comment.created': { email: false, stream: false } } };
    const own: StoredPreferences = { frequency: 'weekly', own_actions: false, types: { 'file.changed': { stream: false }, 'comment.created': { email: true } } };
    const prefs = effectivePreferences(defaults, own);
    assert.equal(prefs.frequency, 'weekly');
    assert.equal(prefs.own_actions, false, 'false is a choice, not a gap');
    assert.deepEqual(prefs.types['file.changed'], { email: false, stream: false }, 'email from the defaults, stream from the user');
    assert.deepEqual(prefs.types['comment.created'], { email: true, stream: false }, "the user turned email back on; stream stays the admin's");
    assert.deepEqual(effectivePreferences(defaults, { ...none, types: {} }).frequency, 'daily', 'a user who chose no frequency follows the admin');
  });

  it('a change keeps what was chosen before and the defaults still fill the rest', () => {
    let stored = applyPatch(undefined, { frequency: 'asap', types: { 'share.created': { stream: false } } });
    stored = applyPatch(stored, { types: { 'share.created': { email: false }, 'file.deleted': { email: false } } });
    assert.deepEqual(stored, { frequency: 'asap', own_actions: null, types: { 'share.created': { stream: false, email: false }, 'file.deleted': { email: false } } });
    const prefs = effectivePreferences({ frequency: 'weekly', own_actions: true, types: {} }, stored);
    assert.equal(prefs.frequency, 'asap');
    assert.equal(prefs.own_actions, true, 'own_actions was never chosen: the default applies');
    assert.deepEqual(prefs.types['share.created'], { email: false, stream: false });
    assert.deepEqual(prefs.types['file.changed'], BUILT_IN_PREFERENCES.types['file.changed']);
  });

  it('what an unsubscribe link writes turns off email only, for its types only', () => {
    const types: EventType[] = ['file.changed', 'file.deleted'];
    const stored = applyPatch({ frequency: 'daily', own_actions: true, types: { 'file.changed': { stream: false } } }, { types: Object.fromEntries(types.map((t) => [t, { email: false }])) });
    const prefs = effectivePreferences(undefined, stored);
    assert.deepEqual(prefs.types['file.changed'], { email: false, stream: false });
    assert.deepEqual(prefs.types['file.deleted'], { email: false, stream: true });
    assert.deepEqual(prefs.types['share.created'], { email: true, stream: true });
    assert.equal(prefs.frequency, 'daily');
    assert.equal(prefs.own_actions, true);
  });

  it('a change naming an unknown type, field or frequency is refused', () => {
    assert.equal(preferencesPatchSchema.safeParse({ types: { 'file.renamed': { email: false } } }).success, false);
    assert.equal(preferencesPatchSchema.safeParse({ types: { 'file.changed': { sms: true } } }).success, false);
    assert.equal(preferencesPatchSchema.safeParse({ frequency: 'monthly' }).success, false);
    assert.equal(preferencesPatchSchema.safeParse({ colour: 'red' }).success, false);
    assert.equal(preferencesPatchSchema.safeParse({ frequency: 'daily', own_actions: true, types: { 'tag.assigned': { email: false, stream: true } } }).success, true);
  });
});
