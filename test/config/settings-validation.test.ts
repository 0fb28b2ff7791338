import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readConfigFile, readEnvSettings } from '../../src/config/setting-sources.ts';
import { defaultSettings, parseHostList, settingDefinitions, settingKeys } from '../../src/config/settings-schema.ts';
import { createSettingsService } from '../../src/config/settings-service.ts';
import { createSecretBox } from '../../src/config/secret-box.ts';
import { validateSetting, validateSettings } from '../../src/config/validate-setting.ts';

function memoryStore() {
  const rows: Record<string, string> = {};
  return {
    rows,
    readAll: async () => ({ ...rows }),
    write: async (changes: Record<string, string | null>) => {
      for (const [k, v] of Object.entries(changes)) {
        if (v === null) delete rows[k];
        else rows[k] = v;
      }
    },
  };
}

describe('setting validation', () => {
  const refused: Array<[string, unknown, string, RegExp]> = [
    ['mail_smtphots', 'x', 'config_unknown_key', /did you mean mail_smtphost/],
    ['mail_smtpport', 0, 'config_invalid_value', /between 1 and 65535/],
    ['mail_smtpport', '70000', 'config_invalid_value', /between 1 and 65535/],
    ['mail_smtpport', 'twenty-five', 'config_invalid_value', /whole number/],
    ['mail_smtpmode', 'smtps', 'config_invalid_value', /one of smtp, sendmail, qmail, php, capture/],
    ['mail_smtphost', 'a;;b', 'config_invalid_value', /entry 2 .* is empty/],
    ['mail_smtphost', 'mail.example.com:99999', 'config_invalid_value', /not between 1 and 65535/],
    ['mail_from_address', 'x@', 'config_invalid_value', /part before the @ only/],
    ['mail_from_address', 'noreply\r\nBcc: victim@example.com', 'header_injection', /line break/],
    ['instance_name', 'Cloud\nBcc: x@example.com', 'header_injection', /line break/],
    ['mail_domain', 'exa mple.com', 'config_invalid_value', /domain name/],
    ['mail_smtpsecure', 'starttls', 'config_invalid_value', /'' \(empty\), ssl, tls/],
    ['mail_smtpauth', 'maybe', 'config_invalid_value', /true or false/],
    ['mail_smtpauthtype', 'GSSAPI', 'config_invalid_value', /LOGIN, PLAIN, NTLM, CRAM-MD5, XOAUTH2/],
    ['mail_smtptimeout', 0, 'config_invalid_value', /at least 1/],
    ['mail_sendmail_path', 'sendmail', 'config_invalid_value', /absolute path/],
    ['base_url', 'cloud.example.com', 'config_invalid_value', /http\(s\) URL/],
  ];
  for (const [key, value, code, message] of refused) {
    it(`refuses ${key} = ${JSON.stringify(value)} with ${code}`, () => {
      assert.throws(
        () => validateSettings({ [key]: value }),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, code);
          assert.match(error.message, message);
          return true;
        },
      );
    });
  }

  it('refuses a DKIM key that rsa-sha256 cannot sign with (EC, Ed25519, short RSA), naming no part of it', () => {
    const pem = (type: 'ec' | 'ed25519' | 'rsa', bits?: number) => (type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : type === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('rsa', { modulusLength: bits ?? 2048 })).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    for (const key of [pem('ec'), pem('ed25519'), pem('rsa', 512)]) {
      assert.throws(
        () => validateSetting('mail_dkim_private_key', key),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, 'config_invalid_value');
          assert.match(error.message, /must be an RSA private key of at least 1024 bits/);
          assert.ok(!error.message.includes(key.split('\n')[1] as string), 'no line of the key');
          return true;
        },
      );
    }
    assert.equal(typeof validateSetting('mail_dkim_private_key', pem('rsa', 2048)), 'string');
  });

  it('never repeats a secret value in its error message', () => {
    assert.throws(
      () => validateSetting('mail_smtppassword', 'line1\nline2-secret'),
      (error: Error) => {
        assert.ok(!error.message.includes('secret'));
        return true;
      },
    );
  });

  it('accepts the forms an admin types and stores them typed', () => {
    assert.deepEqual(validateSettings({ mail_smtpport: '587', mail_smtpauth: 'yes', mail_smtpsecure: '', mail_smtphost: 'smtp-1.server.dom;smtp-2.server.dom:425' }), {
      mail_smtpport: 587,
      mail_smtpauth: true,
      mail_smtpsecure: '',
      mail_smtphost: 'smtp-1.server.dom;smtp-2.server.dom:425',
    });
    assert.deepEqual(parseHostList('smtp-1.server.dom;[::1]:2525;10.0.0.1'), {
      entries: [
        { host: 'smtp-1.server.dom', port: undefined },
        { host: '::1', port: 2525 },
        { host: '10.0.0.1', port: undefined },
      ],
    });
  });

  it('has a valid default for every key', () => {
    for (const key of settingKeys) assert.deepEqual(validateSetting(key, settingDefinitions[key].default), defaultSettings()[key]);
    assert.equal(defaultSettings().mail_smtpmode, 'capture');
  });
});

describe('setting layers', () => {
  it('layers defaults < database < file < environment and locks what file and environment set', async () => {
    const store = memoryStore();
    const service = createSettingsService({
      store,
      secretBox: createSecretBox(Buffer.alloc(32, 7)),
      fileSettings: readConfigFile(await writeJson({ mail_smtpport: 2525, mail_smtphost: 'file.example.com' })),
      envSettings: readEnvSettings({ MAILROOM_MAIL_SMTPHOST: 'env.example.com', MAILROOM_PORT: '9000' }),
    });
    await service.update({ mail_smtptimeout: 30 });
    const s = await service.get();
    assert.equal(s.mail_smtptimeout, 30);
    assert.equal(s.mail_smtpport, 2525);
    assert.equal(s.mail_smtphost, 'env.example.com');
    await assert.rejects(service.update({ mail_smtphost: 'db.example.com' }), { code: 'setting_locked' });
    await assert.rejects(service.update({ mail_smtpport: 25 }), { code: 'setting_locked' });
    await assert.rejects(service.unset(['mail_smtpport']), { code: 'setting_locked' });
    const views = await service.describe();
    assert.deepEqual(
      views.filter((v) => v.locked).map((v) => [v.key, v.lockedBy]),
      [
        ['mail_smtphost', 'env'],
        ['mail_smtpport', 'file'],
      ],
    );
    assert.equal(views.find((v) => v.key === 'mail_smtptimeout')?.source, 'database');
  });

  it('refuses an unknown MAILROOM_ variable with the nearest name', () => {
    assert.throws(() => readEnvSettings({ MAILROOM_MAIL_SMTPHSOT: 'x' }), /did you mean MAILROOM_MAIL_SMTPHOST/);
  });

  it('names the config file when it is not JSON or holds a bad value', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mailroom-cfg-'));
    await writeFile(join(dir, 'bad.json'), '{ "mail_smtpport": ');
    assert.throws(
      () => readConfigFile(join(dir, 'bad.json')),
      (e: Error & { code?: string }) => e.code === 'config_file_invalid' && e.message.includes('bad.json'),
    );
    const invalid = await writeJson({ mail_smtpmode: 'smtps' });
    assert.throws(() => readConfigFile(invalid), { code: 'config_file_invalid' });
    assert.deepEqual(readConfigFile(join(dir, 'missing.json')), {});
  });

  it('describes secrets only as set or not set', async () => {
    const store = memoryStore();
    const service = createSettingsService({ store, secretBox: createSecretBox(Buffer.alloc(32, 1)), fileSettings: {}, envSettings: {} });
    await service.update({ mail_smtppassword: 'pw-abcdef' });
    const view = (await service.describe()).find((v) => v.key === 'mail_smtppassword');
    assert.deepEqual({ value: view?.value, isSet: view?.isSet }, { value: null, isSet: true });
    assert.ok(!JSON.stringify(store.rows).includes('pw-abcdef'));
  });
});

async function writeJson(content: unknown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mailroom-cfg-'));
  const path = join(dir, 'config.json');
  await writeFile(path, JSON.stringify(content));
  return path;
}
