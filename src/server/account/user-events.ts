/**
 * "Something about this user changed": a password, a role, a ban, a session ended, chats moved.
 * Every per-user cache (the caller check's sessions and profiles, preferences) subscribes and
 * drops its entries; whoever makes such a change publishes, after the write (a reload in
 * between would cache the old state). One event, so no cache can be forgotten by one path.
 */
export interface UserEvents {
  changed(userId: string): void;
  /** Returns a function that unsubscribes. */
  subscribe(listener: (userId: string) => void): () => void;
}

export function createUserEvents(): UserEvents {
  const listeners = new Set<(userId: string) => void>();
  return {
    changed(userId) {
      for (const listener of listeners) listener(userId);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
