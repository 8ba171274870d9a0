// A long, speech-like bulletin for the media benchmarks: espeak-ng's three Vietnamese voices reading
// commune announcements in turn, over a little room noise, as a stereo 44.1 kHz 128 kb/s MP3 (what
// an operator's recorder or phone exports). Made once per length and kept in the temp directory.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LINES = [
  ['vi', 'Kính thưa bà con nhân dân trong xã. Sau đây là bản tin của Ủy ban nhân dân xã phát vào buổi sáng.'],
  [
    'vi-vn-x-central',
    'Thực hiện kế hoạch phòng chống dịch bệnh, xã tổ chức tiêm phòng cho đàn gia súc, gia cầm vào thứ bảy tuần này tại nhà văn hóa các thôn.',
  ],
  [
    'vi-vn-x-south',
    'Đề nghị các hộ gia đình đưa vật nuôi đến đúng giờ, mang theo sổ theo dõi tiêm phòng, và phối hợp với cán bộ thú y.',
  ],
  [
    'vi',
    'Bà con lưu ý theo dõi thông tin thời tiết, chủ động phòng chống mưa bão, không đi qua ngầm tràn khi nước lên.',
  ],
] as const;

export function bulletinMp3(minutes: number): string {
  const dir = join(tmpdir(), 'loa-bench-audio');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `bulletin-${minutes}min.mp3`);
  if (existsSync(out)) return out;
  const parts = LINES.map(([voice, text], i) => {
    const wav = join(dir, `line-${i}.wav`);
    execFileSync('espeak-ng', ['-v', voice, '-s', '150', '-w', wav, text]);
    return wav;
  });
  // One round of the four readings with a short pause after each, then looped to the length.
  const round = join(dir, 'round.wav');
  const inputs = parts.flatMap((p) => ['-i', p]);
  const filter =
    parts.map((_, i) => `[${i}:a]aresample=44100,apad=pad_dur=0.8[p${i}]`).join(';') +
    `;${parts.map((_, i) => `[p${i}]`).join('')}concat=n=${parts.length}:v=0:a=1[out]`;
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...inputs, '-filter_complex', filter, '-map', '[out]', round]);
  const tmp = `${out}.tmp.mp3`;
  execFileSync('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-stream_loop',
    '-1',
    '-i',
    round,
    '-f',
    'lavfi',
    '-i',
    'anoisesrc=color=pink:amplitude=0.004:seed=6',
    '-filter_complex',
    '[0:a]aresample=44100[s];[1:a]aresample=44100[n];[s][n]amix=inputs=2:duration=first:normalize=0',
    '-t',
    String(minutes * 60),
    '-ac',
    '2',
    '-ar',
    '44100',
    '-b:a',
    '128k',
    tmp,
  ]);
  renameSync(tmp, out);
  return out;
}
