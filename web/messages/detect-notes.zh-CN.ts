/**
 * The findings of "Detect settings" in Chinese. The server sends each finding as a kind and its
 * facts (beside the English sentence); this words it for the Chinese interface. Where a finding
 * carries the probe's own message (what the socket or the server said), that stays verbatim
 * after the summary, as with error codes. A test checks that every kind the server makes has a
 * wording here.
 */

type ProbeError = { code: string; message: string };

/** The findings as the API sends them (mirrors src/transport/detect-notes.ts; the bundle does not import server code). */
export type DetectFinding =
  | { kind: 'port_failed'; port: number; error: ProbeError }
  | { kind: 'port_unusable'; port: number; error: ProbeError }
  | { kind: 'port_25_blocked'; port: number }
  | { kind: 'host_not_found'; host: string }
  | { kind: 'no_answer'; ports: number[] }
  | { kind: 'no_working_port' }
  | { kind: 'no_tls'; withPassword: boolean }
  | { kind: 'certificate_self_signed'; port: number }
  | { kind: 'certificate_issuer_untrusted'; port: number; issuer?: string }
  | { kind: 'certificate_expired'; port: number; validTo?: string }
  | { kind: 'certificate_not_yet_valid'; port: number }
  | { kind: 'certificate_wrong_name'; port: number; host: string; names: string[] }
  | { kind: 'certificate_untrusted'; port: number; reason?: string }
  | { kind: 'ca_checked' }
  | { kind: 'auth_unsupported'; port: number; methods: string[] }
  | { kind: 'no_auth'; port: number }
  | { kind: 'failover_differs'; host: string; port: number; secure: '' | 'ssl' | 'tls'; listSecure: '' | 'ssl' | 'tls' };

type Wording = { [K in DetectFinding['kind']]: (finding: Extract<DetectFinding, { kind: K }>) => string };

const PROBE_PROBLEMS_ZH_CN: Readonly<Record<string, string>> = {
  refused: '连接被拒绝',
  not_found: '主机名无法解析',
  unreachable: '无法到达该主机（没有路由）',
  timeout: '超时未应答',
  closed: '服务器关闭了连接',
  not_smtp: '应答的不是 SMTP',
  greeting_refused: '服务器拒绝了会话',
  hello_refused: '服务器拒绝了 EHLO/HELO',
  tls_failed: 'TLS 握手失败',
};

const problem = (error: ProbeError): string => `${PROBE_PROBLEMS_ZH_CN[error.code] ?? '出现错误'}。（${error.message}）`;
const quoted = (names: readonly string[]): string => names.map((name) => `“${name}”`).join('、');

export const detectFindingsZhCN: Wording = {
  port_failed: (f) => `端口 ${f.port}：${problem(f.error)}`,
  port_unusable: (f) => `端口 ${f.port} 上有 SMTP 服务器，但无法使用：${problem(f.error)}`,
  port_25_blocked: () => '端口 25：超时未应答。许多网络和云服务商会阻止对外连接 25 端口。',
  host_not_found: (f) => `无法解析“${f.host}”：请检查主机名以及本机的 DNS 设置。`,
  no_answer: (f) => `端口 ${f.ports.join('、')} 上${f.ports.length > 1 ? '都' : ''}没有 SMTP 服务器应答：请检查主机名和端口，并确认没有防火墙阻止本机的对外连接。`,
  no_working_port: () => '没有任何端口能建立可用的 SMTP 会话，因此无法推荐设置。',
  no_tls: (f) =>
    `没有任何端口提供 TLS：使用这些设置时，邮件${f.withPassword ? '和 SMTP 密码' : ''}以明文传输，途中可能被他人读取。请让邮件服务器管理员启用 STARTTLS（端口 587）或隐式 TLS（端口 465）。`,
  certificate_self_signed: (f) =>
    `端口 ${f.port}：证书是自签名的。请在上方“CA 证书文件”中填写 CA 的 PEM 文件的绝对路径（没有 CA 的证书则填写证书本身），然后再次检测，确认证书已受信任。`,
  certificate_issuer_untrusted: (f) =>
    `端口 ${f.port}：证书由本机不信任的 CA 签发（${f.issuer ?? '签发者未知'}）。如果是您自己的 CA，请在上方“CA 证书文件”中填写它的 PEM 文件的绝对路径；如果是公共 CA，说明服务器没有发送中间证书，需要由其管理员修复证书链。`,
  certificate_expired: (f) =>
    `端口 ${f.port}：证书已${f.validTo ? `于 ${f.validTo} ` : ''}过期，需要由服务器管理员续期；在此之前 Mailroom 无法通过 TLS 向该服务器发信。`,
  certificate_not_yet_valid: (f) => `端口 ${f.port}：证书尚未生效，请检查本机的时钟是否正确。`,
  certificate_wrong_name: (f) =>
    f.names.length
      ? `端口 ${f.port}：证书不包含“${f.host}”，只包含 ${quoted(f.names)}。请把 mail_smtphost 设为其中之一（该名称必须解析到此服务器）。`
      : `端口 ${f.port}：证书不包含“${f.host}”。请在 mail_smtphost 中使用证书签发时所用的主机名。`,
  certificate_untrusted: (f) =>
    `端口 ${f.port}：证书不受信任（${f.reason ?? '原因不明'}）。请修复服务器的证书，或在上方“CA 证书文件”中填写 CA 的 PEM 文件的绝对路径。`,
  ca_checked: () => '已同时使用您提供的 CA 和系统自带的 CA 校验证书：如果服务器需要该 CA，请在上方“CA 证书文件”中填写其 PEM 文件的绝对路径。',
  auth_unsupported: (f) => `端口 ${f.port} 只提供 Mailroom 不支持的认证方式（${f.methods.join('、')}）：请要求服务器管理员启用 PLAIN 或 LOGIN。`,
  failover_differs: (f) =>
    f.secure === f.listSecure
      ? `故障转移列表中的服务器 ${f.host} 在端口 ${f.port} 上应答，而不是为整个列表选定的端口：请在 mail_smtphost 中写成 ${f.host}:${f.port}。`
      : `故障转移列表中的服务器 ${f.host} 只能使用${securityZhCN(f.secure)}（端口 ${f.port}），不能使用为整个列表选定的${securityZhCN(f.listSecure)}：Mailroom 对列表中的所有服务器使用同一种加密方式，因此在该服务器提供相同的加密方式之前，经由它发送的邮件都会失败；请让各服务器采用相同的设置。`,
  no_auth: (f) =>
    `端口 ${f.port} 不提供认证（AUTH）：服务器无需登录即可收信，通常只接受来自受信任地址的邮件，或只接受发往其自有域名的邮件。如果它拒绝收件人，请向其管理员申请一个邮件提交账户。`,
};

function securityZhCN(secure: '' | 'ssl' | 'tls'): string {
  return secure === 'ssl' ? '隐式 TLS（ssl）' : secure === 'tls' ? ' STARTTLS（tls）' : '不加密的连接';
}

/** A finding in Chinese; a kind this bundle does not know yet falls back to the server's English sentence. */
export function detectFindingZhCN(finding: DetectFinding | { kind: string }, english: string): string {
  const word = (detectFindingsZhCN as Record<string, ((f: never) => string) | undefined>)[finding.kind];
  return word ? word(finding as never) : english;
}
