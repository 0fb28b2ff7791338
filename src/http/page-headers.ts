import type { FastifyInstance } from 'fastify';

/**
 * Everything the pages load comes from Mailroom itself; mail previews are shown in a sandboxed
 * frame (srcdoc), and their inline styles need 'unsafe-inline' for styles only. Images may also
 * come from the origins of the admin's own logos (mail_logo_url, mail_logo_dark_url), so that previews show them; other
 * remote images in mails (trackers, say) stay blocked, as a careful mail program blocks them.
 * `frame-ancestors 'none'`: no page of Mailroom may be framed by another site (clickjacking the
 * unsubscribe button or a password form).
 */
export function contentSecurityPolicy(imageOrigins: readonly string[]): string {
  const images = ["'self'", 'data:', ...imageOrigins].join(' ');
  return `default-src 'self'; img-src ${images}; style-src 'self' 'unsafe-inline'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'`;
}

/**
 * The one place every answer passes on its way out: each gets `X-Content-Type-Options: nosniff`,
 * and each HTML answer (the app, the unsubscribe page, whatever page comes next) the policy above
 * and `Referrer-Policy: same-origin`. A hook rather than a helper each route calls, so a new page
 * cannot forget it. Install it before the routes.
 */
export function installPageHeaders(app: FastifyInstance, imageOrigins: () => Promise<string[]> = async () => []): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    void reply.header('x-content-type-options', 'nosniff');
    const type = reply.getHeader('content-type');
    if (typeof type === 'string' && /^text\/html\b/i.test(type)) {
      void reply.header('content-security-policy', contentSecurityPolicy(await imageOrigins().catch(() => []))).header('referrer-policy', 'same-origin');
    }
    return payload;
  });
}
