// Uploading audio: XMLHttpRequest rather than fetch, for the progress of the bytes on a slow
// link; then the server's ingest (transcoding) — at once (201) or as a job (202, issue #4's media
// contract: `POST /api/media?async=1` → {jobId}, progress from GET /api/media/jobs/:id).
import { api, ApiError, csrfToken } from './api.js';
import type { IngestJob, Media } from './types.js';

export interface UploadProgress {
  phase: 'sending' | 'processing';
  percent: number;
}

function send(
  file: Blob,
  name: string,
  onProgress: (p: UploadProgress) => void,
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/media?async=1');
    const token = csrfToken();
    if (token) xhr.setRequestHeader('x-csrf-token', token);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress({ phase: 'sending', percent: Math.round((e.loaded / e.total) * 100) });
    };
    xhr.upload.onload = () => onProgress({ phase: 'processing', percent: 0 });
    xhr.onerror = () => reject(new ApiError(0, 'network', 'The server could not be reached.'));
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        body = null;
      }
      resolve({ status: xhr.status, body });
    };
    const form = new FormData();
    form.append('file', file, name);
    xhr.send(form);
  });
}

export async function uploadAudio(file: Blob, name: string, onProgress: (p: UploadProgress) => void): Promise<Media> {
  const res = await send(file, name, onProgress);
  if (res.status === 201) return res.body as Media;
  if (res.status === 202) {
    const { jobId } = res.body as { jobId: string };
    for (;;) {
      const job = await api.get<IngestJob>(`/api/media/jobs/${encodeURIComponent(jobId)}`);
      if (job.state === 'done' && job.media) return job.media;
      if (job.state === 'failed')
        throw new ApiError(422, job.errorCode ?? 'ingest-failed', job.error ?? 'The audio could not be processed.');
      onProgress({ phase: 'processing', percent: job.percent });
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  const e = (res.body ?? {}) as { error?: string; message?: string; field?: string };
  throw new ApiError(res.status, e.error ?? `http-${res.status}`, e.message ?? '', e.field);
}
