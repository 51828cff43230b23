/**
 * Errors the server answers in OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`, with the HTTP
 * status beside them. Anything that is not an ApiError becomes a 500 with a fixed message: no stack, no internals.
 * Types and codes follow OpenAI's API where it has one (invalid_request_error, invalid_api_key, model_not_found).
 */

export interface ApiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly type = 'invalid_request_error',
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }

  body(): ApiErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** 400: the body is wrong; `param` names the field (dotted for nested ones, e.g. "messages.1.role"). */
export const badRequest = (message: string, param: string | null = null, code: string | null = null) => new ApiError(400, message, 'invalid_request_error', param, code);

export const unknownModel = (name: string, known: string[]) =>
  new ApiError(404, `The model '${name}' does not exist; this server serves ${known.map((k) => `'${k}'`).join(', ')} (GET /v1/models)`, 'invalid_request_error', 'model', 'model_not_found');

export const unauthorized = (message: string) => new ApiError(401, message, 'invalid_request_error', null, 'invalid_api_key');

/** The error for anything unexpected: the caller logs the real one on the server's side. */
export const internalError = () => new ApiError(500, 'The server had an error while processing the request; see the server log.', 'server_error', null, 'internal_error');

/** The ApiError for `e`, or the generic 500 for anything else. */
export function asApiError(e: unknown): ApiError {
  return e instanceof ApiError ? e : internalError();
}
