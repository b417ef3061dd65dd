/** A set of listeners, each added with a way to remove it, all called in the order added. */
export class Listeners<Args extends unknown[]> {
  private readonly set = new Set<(...args: Args) => void>();

  /** Adds `listener`; the function returned removes it. */
  add(listener: (...args: Args) => void): () => void {
    this.set.add(listener);
    return () => void this.set.delete(listener);
  }

  emit(...args: Args): void {
    for (const listener of this.set) listener(...args);
  }
}
