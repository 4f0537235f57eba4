import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Control } from './index.ts';

interface RouteOptions {
  /** Which API this emulator plays, for the health probe: 'notion', 'calendar'. */
  readonly api: string;
  readonly kinds: readonly string[];
  isPrincipal(principal: string): boolean;
}

class ControlError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new ControlError(400, `invalid ${what}: ${z.prettifyError(result.error)}`);
  return result.data;
}

const principalQuery = z.object({ principal: z.string().min(1) });

/** Routes live in their own encapsulated scope so the API's error and not-found handlers do not apply. */
export function registerControlRoutes(app: FastifyInstance, control: Control, options: RouteOptions): void {
  const known = (principal: string): string => {
    if (!options.isPrincipal(principal))
      throw new ControlError(
        404,
        `no principal ${JSON.stringify(principal)} in this emulator: create one first (POST /_emulator/integrations or /_emulator/service-accounts) and pass its token or client_email`,
      );
    return principal;
  };
  const principalOf = (query: unknown) =>
    known(parse(principalQuery, query, 'query (expected ?principal=<token or client_email>)').principal);

  const faultBody = z.strictObject({
    principal: z.string().min(1),
    kind: z.enum(options.kinds as [string, ...string[]]),
    duration_ms: z.number().int().positive().optional(),
    count: z.number().int().positive().optional(),
    delay_ms: z.number().int().nonnegative().optional(),
    status: z.number().int().min(400).max(599).optional(),
    retry_after_seconds: z.number().int().nonnegative().optional(),
  });
  const rateBody = z.strictObject({
    principal: z.string().min(1),
    per_second: z.number().positive().nullable(),
    burst: z.number().int().positive().optional(),
    error: z.enum(['403', '429']).optional(),
  });

  const showRate = (reply: FastifyReply, principal: string) => {
    const setting = control.rate.settingOf(principal);
    return reply.send({ principal, per_second: setting?.perSecond ?? null, burst: setting?.burst ?? null });
  };

  app.register(async (scope) => {
    // The local stack's health probe (services/stack/src/components/emulator.ts).
    scope.get('/_emulator/health', async () => ({ api: options.api, status: 'ok' }));
    scope.setErrorHandler((error, _request, reply) => {
      if (error instanceof ControlError) return reply.code(error.status).send({ error: error.message });
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      return reply.code(status).send({ error: error instanceof Error ? error.message : String(error) });
    });

    scope.post('/_emulator/faults', async (request, reply) => {
      const body = parse(faultBody, request.body, 'fault');
      if (body.kind === 'slow' && body.delay_ms === undefined)
        throw new ControlError(400, 'invalid fault: kind "slow" needs delay_ms (how long each answer waits)');
      const fault = control.faults.add(known(body.principal), {
        kind: body.kind,
        ...(body.duration_ms !== undefined ? { durationMs: body.duration_ms } : {}),
        ...(body.count !== undefined ? { count: body.count } : {}),
        ...(body.delay_ms !== undefined ? { delayMs: body.delay_ms } : {}),
        ...(body.status !== undefined ? { status: body.status } : {}),
        ...(body.retry_after_seconds !== undefined ? { retryAfterSeconds: body.retry_after_seconds } : {}),
      });
      return reply.code(201).send({ id: fault.id });
    });

    scope.delete('/_emulator/faults', async (request, reply) =>
      reply.send({ cleared: control.faults.clear(principalOf(request.query)) }),
    );

    scope.get('/_emulator/requests', async (request, reply) =>
      reply.send({ requests: control.log.of(principalOf(request.query)) }),
    );

    scope.delete('/_emulator/requests', async (request, reply) => {
      control.log.clear(principalOf(request.query));
      return reply.code(204).send();
    });

    scope.put('/_emulator/rate', async (request, reply) => {
      const body = parse(rateBody, request.body, 'rate');
      const principal = known(body.principal);
      if (body.per_second === null) control.rate.set(principal, null);
      else
        control.rate.set(principal, {
          perSecond: body.per_second,
          burst: body.burst ?? control.rate.defaultSetting?.burst ?? Math.ceil(body.per_second),
          ...(body.error !== undefined ? { status: Number(body.error) } : {}),
        });
      return showRate(reply, principal);
    });

    scope.get('/_emulator/rate', async (request, reply) => showRate(reply, principalOf(request.query)));

    scope.delete('/_emulator/rate', async (request, reply) => {
      control.rate.set(principalOf(request.query), undefined);
      return reply.code(204).send();
    });
  });
}
