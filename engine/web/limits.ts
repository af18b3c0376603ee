// The connection caps of the web listeners (admin, webmail, metrics) from the configuration. Its own module: the
// metrics listener needs the caps, not the web application, whose modules (Fastify, every page) a server without a
// web listener never loads.
import type { LimitOptions } from '../net/conn-limits.js';

/** The connection caps of a web server from the configuration. */
export function webLimits(config: { web: { max_connections: number; max_connections_per_ip: number }; auth: { ipv6_prefix: number } }): LimitOptions {
  return { total: config.web.max_connections, perClient: config.web.max_connections_per_ip, ipv6Prefix: config.auth.ipv6_prefix };
}
