import { MailroomError } from '../errors.ts';
import { parseHostList } from '../config/settings-schema.ts';
import type { SettingsService } from '../config/settings-service.ts';
import { readCaFile } from '../transport/ca-file.ts';
import { detectNoteText, type DetectNote } from '../transport/detect-notes.ts';
import { processEhloName } from '../transport/ehlo-name.ts';
import { detectSmtpSettings, formatProbes, formatRecommendation, type DetectReport } from '../transport/smtp-probe.ts';

/**
 * What `mail:detect` and "Detect settings" answer. For one server, its report; for a failover
 * list (`host1;host2:port`), the first server's report with every server's own in `hosts`, and
 * settings that keep the list as it was given: the port, encryption and AUTH come from the first
 * server that can be used, and the list is never narrowed to that server.
 */
export interface DetectListReport extends DetectReport {
  /** Each server of the list, in its order (one for one server). */
  hosts: DetectReport[];
}

/** At most this many servers are probed at once (each on up to four ports). */
const MAX_HOSTS = 8;

/** `mail:detect`: what a server offers and which settings would work with it. */
export function createDetectService(deps: { settings: SettingsService }) {
  return {
    /** The report as the command line prints it: one block per server and port, then the settings to set. */
    format(report: DetectListReport): string {
      const blocks = report.hosts.length > 0 ? report.hosts.flatMap(formatProbes) : formatProbes(report);
      return `${[...blocks, ...formatRecommendation(report)].join('\n')}\n`;
    },
    async detect(target: string, options: { timeoutMs?: number } = {}): Promise<DetectListReport> {
      const text = target.trim();
      const parsed = parseHostList(text);
      if ('problem' in parsed) {
        throw new MailroomError('invalid_request', `"${target}" is not HOST, HOST:PORT or a failover list of them separated by ";": ${parsed.problem}`);
      }
      if (parsed.entries.length > MAX_HOSTS) throw new MailroomError('invalid_request', `"${target}" names ${parsed.entries.length} servers; detect at most ${MAX_HOSTS} at once`);
      const settings = await deps.settings.get();
      const ca = settings.mail_smtptls_ca ? await readCaFile(settings.mail_smtptls_ca) : undefined;
      const clientName = await processEhloName(settings);
      const timeoutMs = options.timeoutMs ?? Math.min(settings.mail_smtptimeout, 10) * 1000;
      const hosts = await Promise.all(
        parsed.entries.map((entry) => detectSmtpSettings({ host: entry.host, ...(entry.port ? { port: entry.port } : {}), timeoutMs, ...(ca ? { ca } : {}), clientName })),
      );
      const first = hosts[0] as DetectReport;
      if (hosts.length === 1) return { ...first, hosts };
      const usable = hosts.find((report) => report.recommended !== undefined);
      const chosen = usable?.recommended;
      // One port and encryption serve the whole list: say which server would not work with them.
      const differing: DetectNote[] = chosen
        ? hosts.flatMap((report, i) => {
            const own = report.recommended;
            if (!own || report === usable) return [];
            const port = parsed.entries[i]?.port ?? chosen.mail_smtpport;
            return own.mail_smtpsecure !== chosen.mail_smtpsecure || own.mail_smtpport !== port
              ? [{ kind: 'failover_differs' as const, host: report.host, port: own.mail_smtpport, secure: own.mail_smtpsecure, listSecure: chosen.mail_smtpsecure }]
              : [];
          })
        : [];
      const base = usable ?? first;
      return {
        ...base,
        findings: [...base.findings, ...differing],
        notes: [...base.notes, ...differing.map(detectNoteText)],
        host: text,
        // The list as given: which servers to try, and in which order, is the admin's choice.
        ...(usable?.recommended ? { recommended: { ...usable.recommended, mail_smtphost: text } } : {}),
        hosts,
      };
    },
  };
}

export type DetectService = ReturnType<typeof createDetectService>;
