import { MailroomError } from '../errors.ts';
import { parseHostList } from '../config/settings-schema.ts';
import type { SettingsService } from '../config/settings-service.ts';
import { readCaFile } from '../transport/ca-file.ts';
import { processEhloName } from '../transport/ehlo-name.ts';
import { detectSmtpSettings, formatDetectReport, type DetectReport } from '../transport/smtp-probe.ts';

/** `mail:detect`: what a server offers and which settings would work with it. */
export function createDetectService(deps: { settings: SettingsService }) {
  return {
    /** The report as the command line prints it: one block per port, then the settings to set. */
    format: (report: DetectReport): string => formatDetectReport(report),
    async detect(target: string, options: { timeoutMs?: number } = {}): Promise<DetectReport> {
      const parsed = parseHostList(target.trim());
      if ('problem' in parsed || parsed.entries.length !== 1) {
        throw new MailroomError('invalid_request', `"${target}" is not HOST or HOST:PORT (one server)`);
      }
      const entry = parsed.entries[0] as { host: string; port: number | undefined };
      const settings = await deps.settings.get();
      const ca = settings.mail_smtptls_ca ? await readCaFile(settings.mail_smtptls_ca) : undefined;
      return detectSmtpSettings({
        host: entry.host,
        ...(entry.port ? { port: entry.port } : {}),
        timeoutMs: options.timeoutMs ?? Math.min(settings.mail_smtptimeout, 10) * 1000,
        ...(ca ? { ca } : {}),
        clientName: await processEhloName(settings),
      });
    },
  };
}

export type DetectService = ReturnType<typeof createDetectService>;
