import { errorChain } from './errors.ts';

/** Socket error codes in words, as an operator would say them. */
const PROBLEMS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ECONNABORTED: 'connection aborted',
  EPIPE: 'connection closed',
  ETIMEDOUT: 'connection timed out',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed',
};

const CODE_IN_MESSAGE = /\b(E[A-Z_]{4,})\b/u;

/**
 * The network problem an error describes, in words ("connection refused"), looking through its
 * causes (clients wrap socket errors in their own); undefined when it is not a network problem.
 */
export function networkProblem(error: unknown): string | undefined {
  for (const { code, message } of errorChain(error)) {
    if (typeof code === 'string' && PROBLEMS[code]) return PROBLEMS[code];
    const named = typeof message === 'string' ? CODE_IN_MESSAGE.exec(message)?.[1] : undefined;
    if (named && PROBLEMS[named]) return PROBLEMS[named];
  }
  return undefined;
}
