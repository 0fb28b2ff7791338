import { createPrivateKey, type KeyObject } from 'node:crypto';
import DKIM from 'nodemailer/lib/dkim';

export interface DkimKey {
  domain: string;
  selector: string;
  privateKey: string;
}

/**
 * The parsed key of the last PEM signed with. Reading a PEM costs ~500 µs of CPU, twice what the
 * RSA 2048 signature itself costs, and an instance signs every mail with the same key; a changed
 * setting is a different PEM, so it is parsed again.
 */
let lastKey: { pem: string; key: KeyObject | string } | undefined;

function parsedKey(pem: string): KeyObject | string {
  if (lastKey?.pem !== pem) {
    let key: KeyObject | string;
    try {
      key = createPrivateKey(pem);
    } catch {
      // Left to nodemailer's signer as before (it leaves such a mail unsigned).
      key = pem;
    }
    lastKey = { pem, key };
  }
  return lastKey.key;
}

/** Signs a finished message with DKIM (nodemailer's signer): the signature header goes on top. */
export async function dkimSign(raw: Buffer, key: DkimKey): Promise<Buffer> {
  // nodemailer hands privateKey to crypto's Sign#sign, which takes a KeyObject as well as a PEM;
  // its typings name only the string.
  const signer = new DKIM({ domainName: key.domain, keySelector: key.selector, privateKey: parsedKey(key.privateKey) as unknown as string });
  const chunks: Buffer[] = [];
  for await (const chunk of signer.sign(raw)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
