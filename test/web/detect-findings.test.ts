/**
 * "Detect settings" in the Chinese interface: every finding the server can make is worded from
 * the catalogs (detect.*), carries the facts of the finding, and the English sentences stay what
 * the CLI prints.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { DETECT_NOTE_KINDS, detectNoteText, type DetectNote, type DetectNoteKind } from '../../src/transport/detect-notes.ts';
import { recommendSmtpSettings } from '../../src/mail/detect-service.ts';
import type { PortProbe } from '../../src/transport/smtp-probe.ts';
import { DETECT_WORDINGS, wordFinding, type DetectFinding } from '../../web/detect-findings.ts';
import { loadCatalog, translator } from '../../web/i18n.ts';

const detectFindingZhCN = (finding: DetectFinding | { kind: string }, english: string) => wordFinding(finding, english, 'zh-CN', translator('zh-CN'));

/** One finding of each kind, with the facts its wording must show. */
const samples: { [K in DetectNoteKind]: { note: Extract<DetectNote, { kind: K }>; facts: string[] } } = {
  port_failed: { note: { kind: 'port_failed', port: 2525, error: { code: 'not_smtp', message: 'the server answered "HTTP/1.1 400", which is not SMTP' } }, facts: ['2525', '不是 SMTP', 'HTTP/1.1 400'] },
  port_unusable: { note: { kind: 'port_unusable', port: 587, error: { code: 'hello_refused', message: 'the server refused EHLO: 554 go away' } }, facts: ['587', 'EHLO', '554 go away'] },
  port_25_blocked: { note: { kind: 'port_25_blocked', port: 25 }, facts: ['25', '阻止'] },
  host_not_found: { note: { kind: 'host_not_found', host: 'smtp.example.invalid' }, facts: ['smtp.example.invalid', 'DNS'] },
  no_answer: { note: { kind: 'no_answer', ports: [587, 465] }, facts: ['587和465', '防火墙'] },
  no_working_port: { note: { kind: 'no_working_port' }, facts: ['无法推荐'] },
  no_tls: { note: { kind: 'no_tls', withPassword: true }, facts: ['SMTP 密码', '587', '465'] },
  certificate_self_signed: { note: { kind: 'certificate_self_signed', port: 465 }, facts: ['465', '自签名', 'CA 证书文件'] },
  certificate_issuer_untrusted: { note: { kind: 'certificate_issuer_untrusted', port: 587, issuer: 'CN=Example Private CA' }, facts: ['587', 'CN=Example Private CA', '中间证书'] },
  certificate_expired: { note: { kind: 'certificate_expired', port: 587, validTo: '2026-01-31T12:00:00.000Z' }, facts: ['587', '2026-01-31T12:00:00.000Z', '过期'] },
  certificate_not_yet_valid: { note: { kind: 'certificate_not_yet_valid', port: 587 }, facts: ['587', '时钟'] },
  certificate_wrong_name: { note: { kind: 'certificate_wrong_name', port: 587, host: '10.0.0.5', names: ['mail.example.com', 'smtp.example.com'] }, facts: ['10.0.0.5', '“mail.example.com”和“smtp.example.com”', 'mail_smtphost'] },
  certificate_untrusted: { note: { kind: 'certificate_untrusted', port: 587, reason: 'CERT_REVOKED' }, facts: ['587', 'CERT_REVOKED'] },
  ca_checked: { note: { kind: 'ca_checked' }, facts: ['CA 证书文件'] },
  auth_unsupported: { note: { kind: 'auth_unsupported', port: 587, methods: ['SCRAM-SHA-256', 'GSSAPI'] }, facts: ['587', 'SCRAM-SHA-256和GSSAPI', 'PLAIN'] },
  no_auth: { note: { kind: 'no_auth', port: 25 }, facts: ['25', 'AUTH'] },
  failover_differs: { note: { kind: 'failover_differs', host: 'backup.example.com', port: 465, secure: 'ssl', listSecure: 'tls' }, facts: ['backup.example.com', '465', '隐式 TLS', 'STARTTLS', '故障转移'] },
};

describe('the findings of "Detect settings" in Chinese', () => {
  before(() => loadCatalog('zh-CN'));

  it('has a wording for every kind the server makes, and none for a kind it does not', () => {
    assert.deepEqual(Object.keys(DETECT_WORDINGS).sort(), [...DETECT_NOTE_KINDS].sort());
  });

  it('says each finding in Chinese with its facts, and the API shape is the one the page reads', () => {
    for (const { note, facts } of Object.values(samples)) {
      // Fails to compile when the server's findings and the page's mirror of them drift apart.
      const asSent: DetectFinding = note;
      const chinese = detectFindingZhCN(asSent, detectNoteText(note));
      assert.match(chinese, /[\u4e00-\u9fff]/, `${note.kind} is in Chinese`);
      assert.match(chinese, /[。）]$/, `${note.kind} ends as a sentence: ${chinese}`);
      assert.doesNotMatch(chinese, /undefined|\[object/, note.kind);
      for (const fact of facts) assert.ok(chinese.includes(fact), `${note.kind} shows "${fact}": ${chinese}`);
    }
  });

  it('leaves out facts the server did not have instead of printing a gap', () => {
    assert.equal(detectFindingZhCN({ kind: 'certificate_expired', port: 587 }, ''), '端口 587：证书已过期，需要由服务器管理员续期；在此之前 Mailroom 无法通过 TLS 向该服务器发信。');
    assert.match(detectFindingZhCN({ kind: 'certificate_issuer_untrusted', port: 587 }, ''), /签发者未知/);
    assert.match(detectFindingZhCN({ kind: 'no_answer', ports: [2525] }, ''), /^端口 2525 上没有 SMTP 服务器应答/);
  });

  it('tells a server of a failover list that needs only its own port from one that needs another encryption', () => {
    const port: DetectNote = { kind: 'failover_differs', host: 'backup.example.com', port: 2525, secure: 'tls', listSecure: 'tls' };
    assert.match(detectNoteText(port), /write it as backup\.example\.com:2525 in mail_smtphost/);
    assert.match(detectFindingZhCN(port, ''), /写成 backup\.example\.com:2525/);
    const encryption: DetectNote = { kind: 'failover_differs', host: 'backup.example.com', port: 465, secure: 'ssl', listSecure: 'tls' };
    assert.match(detectNoteText(encryption), /only with implicit TLS \(ssl\) \(port 465\), not with STARTTLS \(tls\)/);
  });

  it('shows the English sentence for a kind a newer server sends and this page does not know', () => {
    assert.equal(detectFindingZhCN({ kind: 'something_new' }, 'Port 587: something new.'), 'Port 587: something new.');
  });

  it('reports the same findings as data and as the English notes the CLI prints, in one order', () => {
    const probe = (port: number, overrides: Partial<PortProbe>): PortProbe => ({ port, reachable: true, extensions: [], authMethods: [], authBeforeTls: [], ...overrides });
    const report = recommendSmtpSettings('mail.example.com', [
      probe(587, { security: 'starttls', authMethods: ['SCRAM-SHA-256'], certificate: { valid: false, error: 'CERT_HAS_EXPIRED', validTo: '2026-01-31T12:00:00.000Z', selfSigned: false, hostnameMatches: true, names: ['mail.example.com'] } }),
      probe(2525, { error: { code: 'not_smtp', message: 'the server answered "HTTP/1.1 400", which is not SMTP' } }),
      probe(25, { reachable: false, error: { code: 'timeout', message: 'no connection within 5000 ms' } }),
    ]);
    assert.deepEqual(
      report.findings.map((finding) => finding.kind),
      ['port_failed', 'port_25_blocked', 'certificate_expired', 'auth_unsupported'],
    );
    assert.deepEqual(report.notes, report.findings.map(detectNoteText));
    assert.equal(report.notes[2], "Port 587: the certificate expired on 2026-01-31T12:00:00.000Z: the server's administrator must renew it; until then Mailroom cannot send over TLS to this server.");
  });
});
