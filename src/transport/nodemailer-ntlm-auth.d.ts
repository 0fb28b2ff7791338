declare module 'nodemailer-ntlm-auth' {
  import type { SMTPConnectionCustomAuthHandler } from 'nodemailer/lib/smtp-connection';
  const ntlmAuth: SMTPConnectionCustomAuthHandler;
  export default ntlmAuth;
}
