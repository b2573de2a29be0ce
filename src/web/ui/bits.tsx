import { useEffect, useState, useSyncExternalStore, type ReactNode } from "react";
import { Link } from "react-router";

/** Small shared pieces: status messages, spinner, skeleton lines, page title. */

let siteTitle = "AI Book";
const siteTitleListeners = new Set<() => void>();
const subscribeSiteTitle = (listener: () => void) => {
  siteTitleListeners.add(listener);
  return () => void siteTitleListeners.delete(listener);
};

/** The book's title (a Docusaurus site's `title`), which every page's document title ends with. */
export function setSiteTitle(title: string): void {
  if (title === siteTitle) return;
  siteTitle = title;
  siteTitleListeners.forEach((l) => l());
}

/** `"Sensors · Garden Robots Handbook"`; the book's title alone on its home page. */
export function useDocumentTitle(title: string | null | undefined): void {
  const site = useSyncExternalStore(subscribeSiteTitle, () => siteTitle, () => siteTitle);
  useEffect(() => {
    if (title) document.title = title === site ? title : `${title} · ${site}`;
  }, [title, site]);
}

/** A page that only says something (not found, not for you): its title, a lead, and what to do next (by default, back to the book). */
export function MessagePage({ title, lead, children }: { title: string; lead: ReactNode; children?: ReactNode }) {
  useDocumentTitle(title);
  return (
    <div className="page-content narrow">
      <h1>{title}</h1>
      <p className="lead">{lead}</p>
      {children ?? (
        <p>
          <Link to="/" className="button button-primary">
            Go to the book
          </Link>
        </p>
      )}
    </div>
  );
}

export function Spinner() {
  return <span className="spinner" aria-hidden="true" />;
}

/**
 * A form's submit button while its request is out: disabled, aria-busy, a spinner and the
 * busy label ("Saving…"), so a second press cannot send twice.
 */
export function SubmitButton({
  busy,
  busyLabel,
  children,
  variant = "primary",
  block = false,
  disabled = false,
}: {
  busy: boolean;
  busyLabel?: string;
  children: ReactNode;
  variant?: "primary" | "danger";
  block?: boolean;
  disabled?: boolean;
}) {
  return (
    <button type="submit" className={`button button-${variant}${block ? " button-block" : ""}`} disabled={disabled || busy} aria-busy={busy || undefined}>
      {busy && <Spinner />}
      {busy && busyLabel ? busyLabel : children}
    </button>
  );
}

/** A form's submit button with Cancel beside it, for a step the reader may leave. */
export function SubmitOrCancel({
  onCancel,
  ...submit
}: { onCancel(): void } & Pick<Parameters<typeof SubmitButton>[0], "busy" | "busyLabel" | "variant" | "disabled" | "children">) {
  return (
    <div className="button-row">
      <SubmitButton {...submit} />
      <button type="button" className="button button-secondary" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}

/** Inline error for a whole form or section. Announced at once (role=alert). */
export function ErrorMessage({ id, children }: { id?: string; children: ReactNode }) {
  if (!children) return null;
  return (
    <div id={id} className="notice notice-error" role="alert">
      {children}
    </div>
  );
}

/** Polite status for async results ("Saved."). The live region stays mounted so updates are read. */
export function StatusMessage({ id, children, tone = "success" }: { id?: string; children: ReactNode; tone?: "success" | "info" }) {
  return (
    <div id={id} role="status" aria-live="polite" className={children ? `notice notice-${tone}` : "notice-empty"}>
      {children}
    </div>
  );
}

/** A page while its content loads: its heading said to screen readers, a title bar and skeleton lines. */
/** What could not be loaded, said as an alert, with "Try again". */
export function LoadFailed({ message, onRetry }: { message: string; onRetry(): void }) {
  return (
    <div className="notice notice-error" role="alert">
      {message}{" "}
      <button type="button" className="link-button" onClick={onRetry}>
        Try again
      </button>
    </div>
  );
}

export function LoadingPage({ heading, label, lines, className }: { heading: string; label: string; lines: number; className?: string }) {
  return (
    <div className={className ? `page-content ${className}` : "page-content"}>
      <h1>
        <span className="visually-hidden">{heading}</span>
        <span className="skeleton-line skeleton-title" aria-hidden="true" />
      </h1>
      <SkeletonLines lines={lines} label={label} />
    </div>
  );
}

export function SkeletonLines({ lines = 6, label }: { lines?: number; label: string }) {
  return (
    <div className="skeleton" aria-busy="true">
      <span className="visually-hidden" role="status">
        {label}
      </span>
      {Array.from({ length: lines }, (_, i) => (
        <span key={i} className="skeleton-line" style={{ width: `${[92, 100, 85, 97, 70, 88, 60][i % 7]}%` }} aria-hidden="true" />
      ))}
    </div>
  );
}

/** Seconds left until `until` (ms epoch), ticking once a second; 0 when past. */
export function useCountdown(until: number): number {
  const left = () => Math.max(0, Math.ceil((until - Date.now()) / 1000));
  const [seconds, setSeconds] = useState(left);
  useEffect(() => {
    setSeconds(left());
    if (until <= Date.now()) return;
    const t = setInterval(() => {
      const s = left();
      setSeconds(s);
      if (s === 0) clearInterval(t);
    }, 250);
    return () => clearInterval(t);
  }, [until]);
  return seconds;
}
