import { describe, expect, it } from 'vitest';
import { CdcError, needsOperator } from '@cdc/core';
import { answerFailure, answerKind, googleAnswerOf, requestFailureOf } from './calendar-errors.ts';
import { QuotaBackoff } from './quota-backoff.ts';

// Google's answers as the sink's failures
// (https://developers.google.com/workspace/calendar/api/guides/errors).

const context = {
  sink: 'clinic',
  path: 'sinks[0]',
  email: 'sync@project.iam.gserviceaccount.com',
  calendarId: 'clinic@group.calendar.google.com',
  timeoutMs: 2000,
};

/** A failed request as gaxios gives it: the answer's status, parsed body and headers. */
function answered(
  status: number,
  reason: string | undefined,
  message = 'm',
  headers: Record<string, string> = {},
) {
  const body = {
    error: { code: status, message, errors: reason ? [{ domain: 'global', reason, message }] : [] },
  };
  return { response: { status, data: body, headers: new Headers(headers) } };
}

const kindOf = (status: number, reason?: string) => answerKind(googleAnswerOf(answered(status, reason))!);

describe('what an answer means', () => {
  it('rate limits (403 rateLimitExceeded, userRateLimitExceeded, quotaExceeded; 429) and 5xx are worth waiting for', () => {
    expect(kindOf(403, 'rateLimitExceeded')).toBe('rate_limited');
    expect(kindOf(403, 'userRateLimitExceeded')).toBe('rate_limited');
    expect(kindOf(403, 'quotaExceeded')).toBe('rate_limited');
    expect(kindOf(429, 'rateLimitExceeded')).toBe('rate_limited');
    expect(kindOf(503, 'backendError')).toBe('unavailable');
    expect(kindOf(500)).toBe('unavailable');
  });

  it('401 and a 403 that refuses the account are the operator’s; other refusals concern one event', () => {
    expect(kindOf(401, 'authError')).toBe('unauthorized');
    expect(kindOf(403, 'forbidden')).toBe('forbidden');
    expect(kindOf(403, 'requiredAccessLevel')).toBe('forbidden');
    expect(kindOf(403, 'forbiddenForNonOrganizer')).toBe('refused');
    expect(kindOf(400, 'invalid')).toBe('refused');
    // Where a missing event is an answer (get, update), 404 never gets here: it is the calendar.
    expect(kindOf(404, 'notFound')).toBe('not_found');
    expect(
      needsOperator(answerFailure(googleAnswerOf(answered(404, 'notFound'))!, 'events.insert', context)),
    ).toBe(true);
  });

  it('tells the token endpoint’s refusal (RFC 6749 5.2) from the API’s', () => {
    const answer = googleAnswerOf({
      response: {
        status: 400,
        data: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' },
      },
    });
    expect(answer).toMatchObject({
      fromTokenEndpoint: true,
      reason: 'invalid_grant',
      message: 'Invalid JWT Signature.',
    });
    expect(answerKind(answer!)).toBe('unauthorized');
  });

  it('reads Retry-After when Google sends one', () => {
    expect(
      googleAnswerOf(answered(429, 'rateLimitExceeded', 'm', { 'retry-after': '3' }))?.retryAfterMs,
    ).toBe(3000);
  });
});

describe('the failures', () => {
  it('a rate limit is retriable and says how long requests pause', () => {
    const failure = answerFailure(
      googleAnswerOf(answered(429, 'rateLimitExceeded', 'Rate Limit Exceeded'))!,
      'events.insert of event abc',
      context,
      1500,
    );
    expect(failure).toMatchObject({ code: 'HTTP_TARGET_UNAVAILABLE', retriable: true });
    expect(failure.message).toBe(
      'Google Calendar rate-limited sink clinic: events.insert of event abc answered 429 rateLimitExceeded: Rate Limit Exceeded; its requests pause for 1.5 s',
    );
  });

  it('a refused account says to share the calendar with the service account', () => {
    const failure = answerFailure(
      googleAnswerOf(answered(403, 'forbidden', 'Forbidden'))!,
      'events.insert of event abc',
      context,
    );
    expect(needsOperator(failure)).toBe(true);
    expect(failure.fix).toContain(
      'share calendar clinic@group.calendar.google.com with sync@project.iam.gserviceaccount.com with permission to make changes to events',
    );
    const unauthorized = answerFailure(googleAnswerOf(answered(401, 'authError'))!, 'x', context);
    expect(unauthorized.message).toContain('(sinks[0].credentials)');
  });

  it('a refused event is final, with Google’s message (for its dead letter)', () => {
    const failure = answerFailure(
      googleAnswerOf(answered(400, 'invalid', 'The specified time range is empty.'))!,
      'events.insert of event abc',
      context,
    );
    expect(failure).toMatchObject({ code: 'HTTP_TARGET_REFUSED', retriable: false });
    expect(failure.message).toBe(
      'Google Calendar refused events.insert of event abc: 400 invalid: The specified time range is empty.',
    );
  });

  it('no answer: timeouts and network failures are retriable, anything else stops the sink', () => {
    const timeout = requestFailureOf(
      new Error('x', { cause: new DOMException('t', 'TimeoutError') }),
      'events.get',
      context,
      'u',
    );
    expect(timeout).toMatchObject({
      retriable: true,
      message: 'Google Calendar is unavailable: events.get got no answer within 2000 ms',
    });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const network = requestFailureOf(
      new TypeError('fetch failed', { cause: refused }),
      'events.get',
      context,
      'http://127.0.0.1:1/',
    );
    expect(network).toMatchObject({ code: 'HTTP_TARGET_UNAVAILABLE', retriable: true });
    const odd = requestFailureOf(
      new Error('error:1E08010C:DECODER routines::unsupported'),
      'events.get',
      context,
      'u',
    );
    expect(needsOperator(odd)).toBe(true);
    const ours = new CdcError('HTTP_TARGET_UNAVAILABLE', 'ours', { retriable: true });
    expect(requestFailureOf(new Error('wrapped', { cause: ours }), 'x', context, 'u')).toBe(ours);
  });
});

describe('QuotaBackoff', () => {
  it('doubles from 1 s to 32 s, takes Retry-After when given, and starts over after a success', () => {
    const backoff = new QuotaBackoff(() => 0);
    expect([1, 2, 3, 4, 5, 6, 7].map(() => backoff.next())).toEqual([
      1000, 2000, 4000, 8000, 16_000, 32_000, 32_000,
    ]);
    expect(backoff.next(2500)).toBe(2500);
    backoff.reset();
    expect(backoff.next()).toBe(1000);
    expect(new QuotaBackoff(() => 1).next()).toBe(1200);
  });
});
