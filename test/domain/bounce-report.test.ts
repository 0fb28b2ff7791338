/**
 * Reading a bounce, on the shapes the fixtures do not cover: several recipients in one DSN, a
 * delivery-status part sent base64, a DSN that reports success only, the words of a policy
 * refusal against a code about the address, and a truncated message.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kindOf, readBounce } from '../../src/domain/bounce-report.ts';

const dsn = (status: string, options: { encoding?: 'base64'; type?: string } = {}) => {
  const body = `Reporting-MTA: dns; mx.example.org\r\n\r\n${status}`;
  return [
    'From: MAILER-DAEMON@mx.example.org',
    'To: bounces+7-0123456789ab@cloud.example.com',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
    '',
    '--b',
    'Content-Type: text/plain',
    '',
    'Delivery report.',
    '--b',
    `Content-Type: ${options.type ?? 'message/delivery-status'}`,
    ...(options.encoding ? [`Content-Transfer-Encoding: ${options.encoding}`] : []),
    '',
    options.encoding === 'base64' ? Buffer.from(body).toString('base64') : body,
    '--b--',
    '',
  ].join('\r\n');
};

describe('readBounce', () => {
  it('reads every recipient of a DSN, each with its own kind, and leaves out the delivered ones', () => {
    const reading = readBounce(dsn('Final-Recipient: rfc822; a@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n' + 'Final-Recipient: rfc822; b@example.org\r\nAction: delayed\r\nStatus: 4.2.0\r\n\r\n' + 'Final-Recipient: rfc822; c@example.org\r\nAction: delivered\r\nStatus: 2.0.0\r\n'));
    assert.equal(reading.type, 'bounce');
    assert.deepEqual(reading.type === 'bounce' && reading.recipients.map((r) => [r.address, r.kind, r.status]), [
      ['a@example.org', 'hard', '5.1.1'],
      ['b@example.org', 'soft', '4.2.0'],
    ]);
    assert.deepEqual(reading.verpCandidates, ['bounces+7-0123456789ab@cloud.example.com']);
  });

  it('decodes a base64 delivery-status part, and reads message/global-delivery-status (RFC 6533) alike', () => {
    for (const options of [{ encoding: 'base64' as const }, { type: 'message/global-delivery-status' }]) {
      const reading = readBounce(dsn('Final-Recipient: rfc822; a@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n', options));
      assert.deepEqual(reading.type === 'bounce' && reading.recipients.map((r) => r.address), ['a@example.org'], JSON.stringify(options));
    }
  });

  it('ignores a DSN that reports only successful deliveries', () => {
    const reading = readBounce(dsn('Final-Recipient: rfc822; a@example.org\r\nAction: relayed\r\nStatus: 2.0.0\r\n'));
    assert.deepEqual({ type: reading.type, reason: reading.type === 'ignored' && reading.reason }, { type: 'ignored', reason: 'no_failure' });
  });

  it('reads what it can of a truncated message', () => {
    const whole = dsn('Final-Recipient: rfc822; a@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n');
    const reading = readBounce(whole.slice(0, whole.indexOf('--b--')));
    assert.deepEqual(reading.type === 'bounce' && reading.recipients.map((r) => r.kind), ['hard']);
  });
});

describe('kindOf', () => {
  it('tells a refusal of the instance from a dead address', () => {
    assert.equal(kindOf('failed', '5.7.1', 'Service unavailable, Client host [192.0.2.10] blocked using Spamhaus'), 'policy');
    assert.equal(kindOf('failed', null, '554 Message rejected as spam'), 'policy');
    assert.equal(kindOf('failed', '4.7.0', 'temporarily deferred for reputation'), 'policy');
    assert.equal(kindOf('failed', '5.1.1', 'User unknown; see our policy page'), 'hard', 'a code about the address wins over the words');
    assert.equal(kindOf('failed', '5.2.2', 'mailbox full'), 'soft');
    assert.equal(kindOf('failed', null, null), 'hard');
    assert.equal(kindOf(null, null, '421 try again later'), 'soft');
    assert.equal(kindOf('delivered', '2.0.0', null), undefined);
  });
});
