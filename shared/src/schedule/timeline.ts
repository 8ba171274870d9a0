// The airtime already taken on one unit's day: disjoint [start, end) intervals kept sorted, so
// "is this free?" and "where is the first free slot?" are a binary search and a short walk.

export class Timeline<Owner> {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly owners: Owner[] = [];

  get size(): number {
    return this.starts.length;
  }

  /** Index of the first interval ending after t (intervals are disjoint, so ends are sorted). */
  private firstEndingAfter(t: number): number {
    let lo = 0;
    let hi = this.ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ends[mid]! > t) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** The owner of an interval overlapping [start, end), if any. */
  overlap(start: number, end: number): { owner: Owner; start: number; end: number } | undefined {
    const i = this.firstEndingAfter(start);
    if (i < this.starts.length && this.starts[i]! < end) {
      return { owner: this.owners[i]!, start: this.starts[i]!, end: this.ends[i]! };
    }
    return undefined;
  }

  /**
   * The earliest t >= lower with [t, t + length) free and t + length <= upper, or undefined.
   * First fit: the earliest free slot at or after `lower` that is long enough.
   */
  firstFit(lower: number, upper: number, length: number): number | undefined {
    let t = lower;
    for (let i = this.firstEndingAfter(lower); ; i++) {
      if (t + length > upper) return undefined;
      if (i >= this.starts.length || this.starts[i]! >= t + length) return t;
      t = Math.max(t, this.ends[i]!);
    }
  }

  /** Takes [start, end); the caller has checked that it is free. */
  take(start: number, end: number, owner: Owner): void {
    const i = this.firstEndingAfter(start);
    insertAt(this.starts, i, start);
    insertAt(this.ends, i, end);
    insertAt(this.owners, i, owner);
  }
}

/** splice(i, 0, value) without the empty array splice returns (the planner calls this a lot). */
function insertAt<T>(list: T[], i: number, value: T): void {
  let j = list.length;
  list.push(value);
  for (; j > i; j--) list[j] = list[j - 1]!;
  list[i] = value;
}

/**
 * Sorts in place like Array.prototype.sort (stable), without its work array for the short lists
 * the planner sorts by the ten thousand: insertion sort up to 16 elements.
 */
export function sortSmall<T>(list: T[], compare: (a: T, b: T) => number): T[] {
  if (list.length > 16) return list.sort(compare);
  for (let i = 1; i < list.length; i++) {
    const x = list[i]!;
    let j = i - 1;
    for (; j >= 0 && compare(list[j]!, x) > 0; j--) list[j + 1] = list[j]!;
    list[j + 1] = x;
  }
  return list;
}
