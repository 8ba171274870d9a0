// The demo commune, shaped like the Tú Lệ pilot (Văn Chấn, Yên Bái): 9 villages (thôn, bản),
// 12 loudspeaker clusters, the two daily windows, and bulletins of each level.
export const COMMUNE = { id: 'tu-le', name: 'Xã Tú Lệ (Văn Chấn, Yên Bái)' };

export const VILLAGES = [
  { id: 'ban-chao', name: 'Bản Chao' },
  { id: 'nuoc-nong', name: 'Nước Nóng' },
  { id: 'ma-tun', name: 'Mạ - Tun' },
  { id: 'ban-lung', name: 'Bản Lùng' },
  { id: 'khau-than', name: 'Khau Thán' },
  { id: 'ban-phinh', name: 'Bản Phình' },
  { id: 'ta-cho', name: 'Tà Chơ' },
  { id: 'ban-na', name: 'Bản Nà' },
  { id: 'trung-tam', name: 'Khu trung tâm' },
];

/** 12 clusters over 9 villages: the larger villages have two. */
export const UNITS = VILLAGES.flatMap((v, i) =>
  i < 3
    ? [
        { id: `${v.id}-1`, name: `Cụm loa ${v.name} 1`, villageId: v.id },
        { id: `${v.id}-2`, name: `Cụm loa ${v.name} 2`, villageId: v.id },
      ]
    : [{ id: `${v.id}-1`, name: `Cụm loa ${v.name}`, villageId: v.id }],
);

export const ZONES = [
  { id: 'trung-tam-xa', name: 'Trung tâm xã', unitIds: ['trung-tam-1', 'ban-chao-1', 'ban-chao-2'] },
  { id: 'vung-cao', name: 'Các bản vùng cao', unitIds: ['ma-tun-1', 'ma-tun-2', 'khau-than-1', 'ta-cho-1'] },
];

export interface DemoBulletin {
  title: string;
  text: string;
  level: 'ordinary' | 'priority' | 'emergency';
  targets: { commune?: boolean; zoneIds?: string[]; unitIds?: string[] };
  /** Seconds after the demo window opens (pinned), or undefined to be packed into the window. */
  pinnedAfter?: number;
  windowIds?: string[];
}

// A handful of each level (issue #3). Pinned ones are spaced so no two overlap on a cluster (the
// server refuses that); the first, for the whole commune, sounds five seconds into the demo window.
export const BULLETINS: DemoBulletin[] = [
  {
    title: 'Cảnh báo cháy rừng',
    text: 'Thông báo khẩn: nắng nóng kéo dài, nguy cơ cháy rừng cấp cao. Bà con không đốt nương, không mang lửa vào rừng.',
    level: 'emergency',
    targets: { commune: true },
    pinnedAfter: 5,
  },
  {
    title: 'Cảnh báo lũ quét',
    text: 'Thông báo khẩn: mưa lớn có thể gây lũ quét. Bà con không qua suối, không ở gần sườn đồi.',
    level: 'emergency',
    targets: { zoneIds: ['vung-cao'] },
    pinnedAfter: 60,
  },
  {
    title: 'Cảnh báo sạt lở đất',
    text: 'Thông báo khẩn: đất đá có thể sạt lở trên đường lên Khau Thán và Tà Chơ. Bà con tạm ngừng đi lại.',
    level: 'emergency',
    targets: { unitIds: ['khau-than-1', 'ta-cho-1'] },
    pinnedAfter: 120,
  },
  {
    title: 'Lịch cắt điện',
    text: 'Điện lực Văn Chấn thông báo: chiều nay cắt điện khu trung tâm xã từ hai giờ đến bốn giờ để sửa đường dây.',
    level: 'priority',
    targets: { zoneIds: ['trung-tam-xa'] },
    pinnedAfter: 30,
  },
  {
    title: 'Lịch tiêm phòng cho gia súc',
    text: 'Sáng mai, trạm thú y xã tiêm phòng lở mồm long móng cho trâu bò tại nhà văn hoá các thôn.',
    level: 'priority',
    targets: { commune: true },
    windowIds: ['demo'],
  },
  {
    title: 'Chống rét cho trâu bò',
    text: 'Trời rét đậm, bà con che chắn chuồng trại, giữ ấm và không thả trâu bò lên núi cao.',
    level: 'priority',
    targets: { zoneIds: ['vung-cao'] },
    windowIds: ['demo', 'evening'],
  },
  {
    title: 'Họp thôn Bản Chao',
    text: 'Mời bà con thôn Bản Chao họp lúc bảy giờ tối tại nhà văn hoá thôn.',
    level: 'ordinary',
    targets: { unitIds: ['ban-chao-1', 'ban-chao-2'] },
    windowIds: ['demo'],
  },
  {
    title: 'Chợ phiên Tú Lệ',
    text: 'Chợ phiên Tú Lệ họp vào sáng chủ nhật. Bà con mang nông sản, gạo nếp Tú Lệ ra bán.',
    level: 'ordinary',
    targets: { zoneIds: ['trung-tam-xa'] },
    windowIds: ['demo', 'morning'],
  },
  {
    title: 'Bản tin buổi sáng',
    text: 'Đài truyền thanh xã Tú Lệ xin kính chào bà con. Sau đây là bản tin buổi sáng.',
    level: 'ordinary',
    targets: { commune: true },
    windowIds: ['morning', 'evening'],
  },
];

/**
 * The demo with fewer clusters (DEMO_UNITS): the first `n` units, zones cut to them, and the
 * bulletins that still target one of them.
 */
export function shrink(n: number) {
  const units = UNITS.slice(0, Math.max(1, n));
  const ids = new Set(units.map((u) => u.id));
  const zones = ZONES.map((z) => ({ ...z, unitIds: z.unitIds.filter((id) => ids.has(id)) }));
  const reaches = (b: DemoBulletin) =>
    b.targets.commune === true ||
    (b.targets.unitIds ?? []).some((id) => ids.has(id)) ||
    (b.targets.zoneIds ?? []).some((z) => zones.find((x) => x.id === z)!.unitIds.length > 0);
  const bulletins = BULLETINS.filter(reaches).map((b) => ({
    ...b,
    targets: { ...b.targets, ...(b.targets.unitIds ? { unitIds: b.targets.unitIds.filter((id) => ids.has(id)) } : {}) },
  }));
  return { units, zones, bulletins };
}
