// The server status the dashboard and GET /api/v1/status show: version, start time, uptime.
// Later rounds add the listeners, queue and traffic figures here (issue 13's dashboard).
import type { WebDeps } from './types.js';

export interface ServerStatus {
  version: string;
  startedAt: string;
  uptimeSeconds: number;
}

export function serverStatus(deps: WebDeps): ServerStatus {
  const now = (deps.now ?? Date.now)();
  return { version: deps.version, startedAt: new Date(deps.startedAt).toISOString(), uptimeSeconds: Math.max(0, Math.floor((now - deps.startedAt) / 1000)) };
}

/** Uptime split for display: whole days, hours and minutes. */
export function uptimeParts(seconds: number): { days: number; hours: number; minutes: number } {
  return { days: Math.floor(seconds / 86_400), hours: Math.floor((seconds % 86_400) / 3600), minutes: Math.floor((seconds % 3600) / 60) };
}
