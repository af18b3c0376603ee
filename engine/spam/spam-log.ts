// The spam log (F9): one line per verdict in <data_dir>/logs/spam-YYYYMMDD.log (the seed's spamMMDD.log),
// and in verbose mode one line per analyzer. Never logs message bodies, only tags, scores and envelope facts.
import path from 'node:path';
import { Logger } from '../log/logger.js';
import type { LoadedConfig } from '../config/load.js';
import type { AnalyseEnvelope } from './types.js';

export class SpamLog {
  constructor(
    private readonly logger: Logger,
    private readonly verbose: boolean,
  ) {}

  static forConfig(config: LoadedConfig): SpamLog {
    const logger = new Logger({ dir: path.join(config.data_dir, 'logs'), stdout: false, files: config.log.files, level: 'info' });
    return new SpamLog(logger, config.spam.verbose_log);
  }

  analyzer(name: string, fields: Record<string, unknown>): void {
    if (this.verbose) this.logger.info('spam', `analyzer ${name}`, fields);
  }

  verdict(env: AnalyseEnvelope, v: { score: number; action: string; tags: string; ms: number; messageId?: string }): void {
    this.logger.info('spam', 'verdict', {
      action: v.action,
      score: v.score,
      tags: v.tags || 'NONE',
      from: env.mailFrom || '<>',
      to: env.rcptTo.join(','),
      ip: env.ip,
      helo: env.helo,
      msgid: v.messageId,
      ms: v.ms,
    });
  }

  close(): Promise<void> {
    return this.logger.close();
  }
}
