import { explain } from '../lib/errors.js';

/** An error in words, announced to screen readers. Renders nothing without an error. */
export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  const e = explain(error);
  return (
    <div class="note error" role="alert">
      <p>{e.text}</p>
      {e.detail && e.detail !== e.text && (
        <p class="detail" lang="en">
          {e.detail}
        </p>
      )}
    </div>
  );
}
