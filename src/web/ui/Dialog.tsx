import { useEffect, useLayoutEffect, useRef, type ReactNode } from "react";

/**
 * A modal dialog (WAI-ARIA APG "Dialog (Modal)") on the native <dialog>: showModal() makes the
 * rest of the page inert; we add the explicit ARIA, a Tab trap that wraps, Esc to close, and
 * focus back to whatever opened it.
 */
export interface DialogProps {
  /** id of the heading that names the dialog. */
  labelledBy: string;
  describedBy?: string;
  onClose(): void;
  children: ReactNode;
  className?: string;
  /** Element to focus back on close when the opener is gone (defaults to the opener, then <main>). */
  returnFocus?: () => HTMLElement | null;
  testId?: string;
}

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

function focusables(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.offsetParent !== null || el === document.activeElement);
}

function onScreen(el: HTMLElement): boolean {
  const r = el.getBoundingClientRect();
  return r.bottom > 0 && r.top < window.innerHeight && r.width > 0;
}

export function Dialog({ labelledBy, describedBy, onClose, children, className, returnFocus, testId }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;
  const returnRef = useRef(returnFocus);
  returnRef.current = returnFocus;

  useLayoutEffect(() => {
    const dialog = ref.current!;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dialog.open) dialog.showModal();
    // First field (or [data-autofocus]) gets focus; the dialog itself if it has none.
    const first = dialog.querySelector<HTMLElement>("[data-autofocus]") ?? focusables(dialog).find((el) => el.tagName !== "BUTTON" || !el.classList.contains("dialog-close"));
    (first ?? dialog).focus();
    return () => {
      if (dialog.open) dialog.close();
      const target = opener?.isConnected && opener !== document.body ? opener : (returnRef.current?.() ?? document.getElementById("main"));
      // After React has finished removing the dialog.
      // An opener on screen needs no scrolling: a sticky one (the chapter toolbar) would otherwise
      // be scrolled to its place at the top of the page, and the reader lose theirs.
      requestAnimationFrame(() => target?.focus({ preventScroll: target ? onScreen(target) : false }));
    };
  }, []);

  useEffect(() => {
    const dialog = ref.current!;
    const onCancel = (e: Event) => {
      e.preventDefault(); // we close through React state
      onCloseRef.current();
    };
    const onKeyDown = (e: KeyboardEvent) => {
      if (e.key !== "Tab") return;
      const items = focusables(dialog);
      if (items.length === 0) return e.preventDefault();
      const first = items[0]!;
      const last = items[items.length - 1]!;
      if (e.shiftKey && (document.activeElement === first || document.activeElement === dialog)) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && document.activeElement === last) {
        e.preventDefault();
        first.focus();
      }
    };
    dialog.addEventListener("cancel", onCancel);
    dialog.addEventListener("keydown", onKeyDown);
    return () => {
      dialog.removeEventListener("cancel", onCancel);
      dialog.removeEventListener("keydown", onKeyDown);
    };
  }, []);

  return (
    <dialog
      ref={ref}
      role="dialog"
      aria-modal="true"
      aria-labelledby={labelledBy}
      aria-describedby={describedBy}
      className={`dialog ${className ?? ""}`}
      tabIndex={-1}
      data-testid={testId}
    >
      <button type="button" className="dialog-close" aria-label="Close" onClick={() => onCloseRef.current()}>
        <span aria-hidden="true">×</span>
      </button>
      {children}
    </dialog>
  );
}
