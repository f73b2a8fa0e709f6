/**
 * The studio's API from the page: JSON in and out, errors as ApiError with the same code,
 * message and hint a command prints. The session cookie goes with every request (same origin);
 * the browser adds the Origin header the server checks.
 */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly hint: string,
    readonly status: number,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

interface ErrorBody {
  readonly error?: { code: string; message: string; hint: string; details?: Record<string, unknown> };
}

async function parse<T>(response: Response): Promise<T> {
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    throw new ApiError('STUDIO_BAD_RESPONSE', `The studio answered ${response.status} with something that is not JSON.`, 'Reload the page; if it persists, look at the terminal running tack studio.', response.status);
  }
  const error = (body as ErrorBody | null)?.error;
  if (!response.ok || error) {
    if (error) throw new ApiError(error.code, error.message, error.hint, response.status, error.details ?? {});
    throw new ApiError('STUDIO_HTTP', `The studio answered ${response.status}.`, 'Reload the page.', response.status);
  }
  return body as T;
}

export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError('STUDIO_OFFLINE', 'The studio does not answer.', 'Is tack studio still running? Start it again and open the link it prints.', 0);
  }
  return parse<T>(response);
}

export const get = <T>(url: string) => api<T>('GET', url);
export const post = <T>(url: string, body: unknown = {}) => api<T>('POST', url, body);
export const put = <T>(url: string, body: unknown) => api<T>('PUT', url, body);

/** Sends a file as the raw request body, reporting bytes sent (fetch cannot report upload progress). */
export function uploadRaw<T>(url: string, file: Blob, onProgress?: (sent: number, total: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => onProgress?.(e.loaded, e.total);
    xhr.onerror = () => reject(new ApiError('STUDIO_OFFLINE', 'The upload was interrupted.', 'Check that tack studio is running and drop the file again.', 0));
    xhr.onload = () => {
      parse<T>(new Response(xhr.responseText, { status: xhr.status })).then(resolve, reject);
    };
    xhr.send(file);
  });
}

/** URL path pieces, encoded (file names may hold spaces, #, ? ...). */
export function path(...parts: ReadonlyArray<string | number>): string {
  return parts.map((p) => encodeURIComponent(String(p))).join('/');
}
