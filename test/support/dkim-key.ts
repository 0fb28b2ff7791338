import { generateKeyPairSync } from 'node:crypto';

/** A DNS lookup for mailauth's dkimVerify: the TXT record of one selector, nothing else. */
export type DkimResolver = (name: string, rr: string) => Promise<string[][]>;

/**
 * A fresh RSA 2048 key for DKIM tests: the settings that make Mailroom sign with it, and a
 * resolver that publishes its public key at `selector._domainkey.domain`, for mailauth.
 */
export function testDkimKey(domain: string, selector: string): { settings: { mail_dkim_domain: string; mail_dkim_selector: string; mail_dkim_private_key: string }; resolver: DkimResolver } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicB64 = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const resolver: DkimResolver = async (name, rr) => {
    if (name === `${selector}._domainkey.${domain}` && rr === 'TXT') return [[`v=DKIM1; k=rsa; p=${publicB64}`]];
    throw Object.assign(new Error(`no ${rr} record for ${name}`), { code: 'ENOTFOUND' });
  };
  return { settings: { mail_dkim_domain: domain, mail_dkim_selector: selector, mail_dkim_private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }, resolver };
}
