import { createContext, use, useCallback, useState, type ReactNode } from "react";

/**
 * One polite live region for app-wide news ("You're signed out.") that has no place of its own
 * on the page. Messages are also shown as a short-lived toast for sighted readers.
 */
type Announce = (message: string) => void;

const AnnounceContext = createContext<Announce>(() => {});

export function AnnouncerProvider({ children }: { children: ReactNode }) {
  const [message, setMessage] = useState<{ text: string; n: number } | null>(null);
  const announce = useCallback<Announce>((text) => {
    setMessage((m) => ({ text, n: (m?.n ?? 0) + 1 }));
    window.setTimeout(() => setMessage((m) => (m?.text === text ? null : m)), 6000);
  }, []);
  return (
    <AnnounceContext value={announce}>
      {children}
      <div className="toast-region" role="status" aria-live="polite" data-testid="announcer">
        {message && (
          <p key={message.n} className="toast">
            {message.text}
          </p>
        )}
      </div>
    </AnnounceContext>
  );
}

export function useAnnounce(): Announce {
  return use(AnnounceContext);
}
