// A queue for the broker's slicing (sliced-emitter.ts, turn-gate.ts), where thousands wait at once.
/** A first-in first-out queue that does not shift arrays of thousands. */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  get size() {
    return this.items.length - this.head;
  }
  push(x: T) {
    this.items.push(x);
  }
  peek(): T | undefined {
    return this.items[this.head];
  }
  shift(): T | undefined {
    const x = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return x;
  }
}
