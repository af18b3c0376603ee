// What the rest of tegami uses of JMAP: build the service from its dependencies, then hand the web server its
// routes and its Authorization resolver. See docs/jmap.md for the wiring into `tegami serve`.
import type { FastifyInstance } from 'fastify';
import type { Authenticate } from '../web/authenticate.js';
import type { Roles } from '../web/roles.js';
import type { ApiAuth } from '../web/types.js';
import { jmapApiAuth } from './credentials.js';
import { registerJmap } from './routes.js';
import { JmapService, type JmapDeps } from './service.js';

export { JmapService, type JmapDeps } from './service.js';
export { DEFAULT_LIMITS, type JmapLimits } from './capabilities.js';
export { vacationSieve } from './vacation-sieve.js';

export function createJmap(deps: JmapDeps): JmapService {
  return new JmapService(deps);
}

/** The routes to pass to buildWebApp / startWebServer ({ routes }). */
export function jmapRoutes(svc: JmapService): (app: FastifyInstance) => Promise<void> {
  return (app) => registerJmap(app, svc);
}

/** WebDeps.apiAuth for the webmail server: Basic through the shared throttle, Bearer JMAP app tokens. */
export function jmapAuth(svc: JmapService, o: { authenticate: Authenticate; roles: Roles }): ApiAuth {
  return jmapApiAuth({ authenticate: o.authenticate, roles: o.roles, tokens: svc.tokens, directory: svc.deps.directory, now: svc.now });
}
