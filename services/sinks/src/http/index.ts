export { DeliveredIds, deliverBatch, type DeliveryOptions } from './delivery.ts';
export {
  MAX_BODY_IN_MESSAGE,
  requestFailure,
  responseFailure,
  shownUrl,
  verdictOf,
  type HttpExchange,
  type HttpResponse,
  type HttpVerdict,
} from './http-failure.ts';
export {
  DEFAULT_CONCURRENCY,
  DEFAULT_TIMEOUT_MS,
  budgetOf,
  concurrencySetting,
  httpSettings,
  httpUrlSetting,
  requestsSetting,
  timeoutMsSetting,
  type RequestRate,
} from './http-settings.ts';
export {
  HttpTarget,
  type HttpRequest,
  type HttpTargetCounters,
  type HttpTargetOptions,
} from './http-target.ts';
export { sendInKeyOrder, type KeyedResult } from './key-order.ts';
export { RequestBudget, type RequestBudgetOptions } from './request-budget.ts';
export { MAX_RETRY_AFTER_MS, retryAfterMs } from './retry-after.ts';
