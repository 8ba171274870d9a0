// An error meant for the person at the other end: a status, a stable code the web app can map to
// Vietnamese, and an English sentence that says what to do next.
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}
