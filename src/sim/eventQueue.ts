/**
 * Min-heap of timed events. Ties on time break by insertion sequence, so the order of
 * simultaneous events is fixed by the seed and never by heap internals.
 */
import { assert } from "../util/index.ts";

type Entry<T> = { readonly timeMs: number; readonly seq: number; readonly event: T };

export class EventQueue<T> {
  private readonly heap: Entry<T>[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(timeMs: number, event: T): void {
    assert(Number.isSafeInteger(timeMs) && timeMs >= 0, "EventQueue.push: integer time");
    const heap = this.heap;
    heap.push({ timeMs, seq: this.seq++, event });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i] as Entry<T>, heap[parent] as Entry<T>)) break;
      swap(heap, i, parent);
      i = parent;
    }
  }

  pop(): { readonly timeMs: number; readonly event: T } | undefined {
    const heap = this.heap;
    const top = heap[0];
    if (top === undefined) return undefined;
    const last = heap.pop() as Entry<T>;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && before(heap[left] as Entry<T>, heap[smallest] as Entry<T>)) smallest = left;
        if (right < heap.length && before(heap[right] as Entry<T>, heap[smallest] as Entry<T>)) smallest = right;
        if (smallest === i) break;
        swap(heap, i, smallest);
        i = smallest;
      }
    }
    return top;
  }
}

function before<T>(a: Entry<T>, b: Entry<T>): boolean {
  return a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.seq < b.seq);
}

function swap<T>(heap: Entry<T>[], i: number, j: number): void {
  const tmp = heap[i] as Entry<T>;
  heap[i] = heap[j] as Entry<T>;
  heap[j] = tmp;
}
