import DKIM from 'nodemailer/lib/dkim';

export interface DkimKey {
  domain: string;
  selector: string;
  privateKey: string;
}

/** Signs a finished message with DKIM (nodemailer's signer): the signature header goes on top. */
export async function dkimSign(raw: Buffer, key: DkimKey): Promise<Buffer> {
  const signer = new DKIM({ domainName: key.domain, keySelector: key.selector, privateKey: key.privateKey });
  const chunks: Buffer[] = [];
  for await (const chunk of signer.sign(raw)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
