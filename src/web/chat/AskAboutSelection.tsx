import { useCallback, useEffect, useRef, useState, type RefObject } from "react";
import { selectionPrefill, useChatUi } from "./ChatContext.tsx";

/** The shortcut, said the same way in the button's title and aria-keyshortcuts. */
export const ASK_SHORTCUT = "Alt+Shift+A";

interface Spot {
  text: string;
  top: number;
  left: number;
}

/** The selected text, if the selection lies inside `root`. */
function selectionIn(root: HTMLElement | null): { text: string; rect: DOMRect } | null {
  const sel = document.getSelection();
  if (!root || !sel || sel.isCollapsed || sel.rangeCount === 0) return null;
  const range = sel.getRangeAt(0);
  if (!root.contains(range.commonAncestorContainer)) return null;
  const text = sel.toString().trim();
  if (!text) return null;
  const rects = range.getClientRects();
  const rect = rects.length ? rects[rects.length - 1]! : range.getBoundingClientRect();
  return { text, rect };
}

/**
 * "Ask about this": a small button next to text the reader selects in a chapter. It opens the
 * chat with `About: "<selection>"` in the question box. Keyboard: after selecting (e.g. with
 * caret browsing, F7), Tab reaches the button, or Alt+Shift+A asks at once.
 */
export function AskAboutSelection({ rootRef }: { rootRef: RefObject<HTMLElement | null> }) {
  const { openChat } = useChatUi();
  const [spot, setSpot] = useState<Spot | null>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);

  const ask = useCallback(
    (text: string) => {
      openChat({ prefill: selectionPrefill(text) });
      setSpot(null);
    },
    [openChat],
  );

  useEffect(() => {
    let timer = 0;
    const update = () => {
      const found = selectionIn(rootRef.current);
      const box = buttonRef.current?.offsetParent ?? rootRef.current?.offsetParent;
      if (!found || !box) {
        // A collapsed selection hides the button, unless the reader has just moved onto it.
        if (document.activeElement !== buttonRef.current) setSpot(null);
        return;
      }
      const base = box.getBoundingClientRect();
      const width = 150;
      const left = Math.min(Math.max(found.rect.right - base.left - width / 2, 0), Math.max(base.width - width, 0));
      setSpot({ text: found.text, top: found.rect.bottom - base.top + 8, left });
    };
    const onSelectionChange = () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(update, 150);
    };
    const onKeyDown = (e: KeyboardEvent) => {
      if (!(e.altKey && e.shiftKey && !e.ctrlKey && !e.metaKey && e.code === "KeyA")) return;
      const found = selectionIn(rootRef.current);
      if (!found) return;
      e.preventDefault();
      ask(found.text);
    };
    document.addEventListener("selectionchange", onSelectionChange);
    document.addEventListener("keydown", onKeyDown);
    return () => {
      window.clearTimeout(timer);
      document.removeEventListener("selectionchange", onSelectionChange);
      document.removeEventListener("keydown", onKeyDown);
    };
  }, [rootRef, ask]);

  return (
    <button
      ref={buttonRef}
      type="button"
      className="ask-selection button button-primary button-small"
      hidden={!spot}
      style={spot ? { top: spot.top, left: spot.left } : undefined}
      title={`Ask the book about the selected text (${ASK_SHORTCUT})`}
      aria-keyshortcuts={ASK_SHORTCUT}
      // Keep the selection: a mouse press on the button would otherwise clear it.
      onMouseDown={(e) => e.preventDefault()}
      onClick={() => spot && ask(spot.text)}
      onBlur={() => {
        if (!selectionIn(rootRef.current)) setSpot(null);
      }}
    >
      <svg aria-hidden="true" viewBox="0 0 24 24" width="16" height="16">
        <path d="M4 5.5A1.5 1.5 0 0 1 5.5 4h13A1.5 1.5 0 0 1 20 5.5v9a1.5 1.5 0 0 1-1.5 1.5H10l-4.5 4v-4A1.5 1.5 0 0 1 4 14.5z" fill="none" stroke="currentColor" strokeWidth="2" strokeLinejoin="round" />
      </svg>
      Ask about this
    </button>
  );
}
