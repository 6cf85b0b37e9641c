// When a request reached the gateway, on the gateway's clock. An alert's page opens at that
// instant, so the time to its first notification (pagerless_alert_to_first_notification_seconds)
// counts the whole request: authentication, reading the body, routing, the commit.
import type { MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';

export type ArrivalVariables = { arrivedAt: Date };

export function noteArrival(clock: () => Date): MiddlewareHandler<{ Variables: ArrivalVariables }> {
  return createMiddleware<{ Variables: ArrivalVariables }>(async (c, next) => {
    c.set('arrivedAt', clock());
    await next();
  });
}
