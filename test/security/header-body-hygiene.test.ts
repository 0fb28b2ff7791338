import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { validateSetting } from '../../src/config/validate-setting.ts';
import { isMailroomError } from '../../src/errors.ts';
import { startInstance, type TestInstance } from '../support/instance.ts';
import { composeMessage } from '../../src/message/compose-message.ts';
import { createTransportFactory } from '../../src/transport/create-transport.ts';
import { createHostHealth } from '../../src/transport/host-health.ts';
import { dotStuff } from '../../src/transport/smtp-session.ts';
import { settingsWith, systemClock } from '../support/mail-fixtures.ts';

// Every C0 control but TAB, and DEL: each reached an ASCII Subject: raw before.
const CONTROLS: ReadonlyArray<[string, string]> = [
  ['NUL', '\x00'],
  ['SOH', '\x01'],
  ['BS', '\x08'],
  ['VT', '\x0b'],
  ['FF', '\x0c'],
  ['ESC', '\x1b'],
  ['US', '\x1f'],
  ['DEL', '\x7f'],
];

interface ApiError {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

describe('header hygiene: control characters never reach a header', () => {
  let app: FastifyInstance;
  let token: string;

  let mailroom: TestInstance;

  before(async () => {
    mailroom = await startInstance({ prefix: 'mailroom-sec-headers-', env: { MAILROOM_MAIL_DOMAIN: 'cloud.example.com' } });
    ({ app, token } = mailroom);
  });

  after(async () => {
    await mailroom?.close();
  });

  const call = (method: 'POST' | 'PUT', url: string, body: unknown) => app.inject({ method, url, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) });

  it('refuses NUL, ESC, DEL and the other C0 controls in a subject of POST /api/v1/messages with 400 header_injection, naming the character', async () => {
    for (const [name, char] of CONTROLS) {
      const reply = await call('POST', '/api/v1/messages', { to: 'alice@example.com', subject: `Hello ${char}world`, text: 'body' });
      assert.equal(reply.statusCode, 400, `${name}: ${reply.body}`);
      const { error } = reply.json<ApiError>();
      assert.equal(error.code, 'header_injection', name);
      assert.equal(error.details?.['character'], `U+${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`, name);
    }
    const counts = (await app.inject({ url: '/api/v1/outbox', headers: { authorization: `Bearer ${token}` } })).json<{ counts: Record<string, number> }>().counts;
    assert.equal(
      Object.values(counts).reduce((a, b) => a + b, 0),
      0,
      'nothing was queued',
    );
  });

  it('still takes a TAB in a subject (it is white space in a header)', async () => {
    const reply = await call('POST', '/api/v1/messages', { to: 'alice@example.com', subject: 'Hello\tworld', text: 'body' });
    assert.equal(reply.statusCode, 202, reply.body);
  });

  it('refuses a template subject holding a control character on save with 400 header_injection, and keeps the template as it was', async () => {
    const before = (await app.inject({ url: '/api/v1/templates/share/en', headers: { authorization: `Bearer ${token}` } })).json<{ versions: unknown[] }>();
    for (const [name, char] of CONTROLS) {
      const reply = await call('PUT', '/api/v1/templates/share/en', { subject: `{{ sharer_name }} shared ${char}a file`, html: '<p>Hello</p>' });
      assert.equal(reply.statusCode, 400, `${name}: ${reply.body}`);
      assert.equal(reply.json<ApiError>().error.code, 'header_injection', name);
    }
    const after = (await app.inject({ url: '/api/v1/templates/share/en', headers: { authorization: `Bearer ${token}` } })).json<{ versions: unknown[] }>();
    assert.equal(after.versions.length, before.versions.length, 'no version was stored');
  });

  it('refuses a control character in a setting that goes into mail headers', () => {
    assert.throws(
      () => validateSetting('instance_name', 'Cloud\x1b[2J'),
      (error: unknown) => isMailroomError(error) && error.code === 'header_injection',
    );
  });

  it('refuses a control character in a header given to composeMessage (sender name, extra headers)', async () => {
    const base = { from: { name: 'Cloud', address: 'noreply@example.test' }, to: 'a@example.test', subject: 'Hi', text: 'x', domain: 'example.test', date: new Date() };
    await assert.rejects(composeMessage({ ...base, from: { name: 'Clo\x00ud', address: 'noreply@example.test' } }), { code: 'header_injection' });
    await assert.rejects(composeMessage({ ...base, headers: { 'X-Tag': 'a\x7fb' } }), { code: 'header_injection' });
  });
});

/** A scripted SMTP server that keeps the exact bytes of each DATA, up to the first CRLF.CRLF. */
function startCapture(): Promise<{ server: Server; port: number; data: Buffer[] }> {
  const data: Buffer[] = [];
  const server = createServer((socket: Socket) => {
    let buffer = Buffer.alloc(0);
    let inData = false;
    socket.write('220 capture ESMTP\r\n');
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          data.push(buffer.subarray(0, end + 5));
          buffer = buffer.subarray(end + 5);
          inData = false;
          socket.write('250 2.0.0 queued\r\n');
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol < 0) return;
        const line = buffer.subarray(0, eol).toString('latin1');
        buffer = buffer.subarray(eol + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') socket.write('250-capture\r\n250 PIPELINING\r\n');
        else if (verb === 'DATA') {
          inData = true;
          socket.write('354 go ahead\r\n');
        } else if (verb === 'QUIT') socket.end('221 bye\r\n');
        else socket.write('250 ok\r\n');
      }
    });
    socket.on('error', () => undefined);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port, data })));
}

/** Where a CR is not followed by LF, or an LF not preceded by CR. */
function bareLineEnds(bytes: Buffer): number[] {
  const at: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0d && bytes[i + 1] !== 0x0a) at.push(i);
    if (bytes[i] === 0x0a && bytes[i - 1] !== 0x0d) at.push(i);
  }
  return at;
}

describe('body hygiene: only CRLF reaches DATA', () => {
  let capture: Awaited<ReturnType<typeof startCapture>>;
  before(async () => {
    capture = await startCapture();
  });
  after(() => new Promise<void>((resolve) => capture.server.close(() => resolve())));

  it('delivers a body with a bare CR, a bare LF and \\r.\\r\\n with CRLF line ends and no early end of data', async () => {
    const text = 'first\rsecond\nthird\r.\r\nMAIL FROM:<smuggled@example.com>\r\nlast line\n';
    const message = await composeMessage({ from: { name: 'Cloud', address: 'noreply@example.test' }, to: 'bob@example.test', subject: 'smuggle', text, domain: 'example.test', date: new Date() });
    const transport = await createTransportFactory({ hostHealth: createHostHealth({ clock: systemClock }), captureStore: { save: async () => 0 }, clock: systemClock }).create(settingsWith({ mail_smtpmode: 'smtp', mail_smtphost: '127.0.0.1', mail_smtpport: capture.port, mail_smtpsecure: '', mail_smtpauth: false }));
    try {
      await transport.send({ envelope: message.envelope, raw: message.raw, messageId: message.messageId, subject: 'smuggle' });
    } finally {
      await transport.close();
    }
    assert.equal(capture.data.length, 1);
    const received = capture.data[0] as Buffer;
    assert.deepEqual(bareLineEnds(received), [], 'no bare CR or LF on the wire');
    const wire = received.toString('latin1');
    // The one end of data is the last five bytes: the smuggled line and the last line came before it.
    assert.equal(wire.indexOf('\r\n.\r\n'), wire.length - 5);
    assert.match(wire, /\r\nfirst\r\nsecond\r\nthird\r\n\.\.\r\nMAIL FROM:<smuggled@example\.com>\r\nlast line\r\n/);
  });

  it('turns bare CR and bare LF of any raw message into CRLF when dot-stuffing', () => {
    const raw = Buffer.from('Subject: x\r\n\r\na\rb\nc\r.\r\nd\n.\ne', 'latin1');
    const stuffed = dotStuff(raw);
    assert.deepEqual(bareLineEnds(stuffed), []);
    assert.equal(stuffed.toString('latin1'), 'Subject: x\r\n\r\na\r\nb\r\nc\r\n..\r\nd\r\n..\r\ne\r\n.\r\n');
  });
});
