import { createContext, use, useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore, type ReactNode } from "react";
import { useLocation } from "react-router";

/**
 * Whether the chat panel is open, and what to put in its composer. Small and eager (the header,
 * chapter pages and the layout use it); the panel itself is a lazy chunk (ChatSlot.tsx).
 * On phones (≤ 640 px) the panel is full-screen and modal: the layout makes the rest inert.
 */
export const PHONE_QUERY = "(max-width: 640px)";
const STORE_KEY = "aibook.chat";

export function useMediaQuery(query: string): boolean {
  return useSyncExternalStore(
    (cb) => {
      const m = window.matchMedia(query);
      m.addEventListener("change", cb);
      return () => m.removeEventListener("change", cb);
    },
    () => window.matchMedia(query).matches,
  );
}

/** What survives a reload in this tab (e.g. following the verification link): open or not, which chat. */
interface Saved {
  open: boolean;
  chatId: string | null;
}

export function loadSaved(): Saved {
  try {
    const v = JSON.parse(sessionStorage.getItem(STORE_KEY) ?? "null") as Partial<Saved> | null;
    return { open: v?.open === true, chatId: typeof v?.chatId === "string" ? v.chatId : null };
  } catch {
    return { open: false, chatId: null };
  }
}

export function save(patch: Partial<Saved>): void {
  try {
    sessionStorage.setItem(STORE_KEY, JSON.stringify({ ...loadSaved(), ...patch }));
  } catch {
    /* private mode: nothing to remember */
  }
}

export interface OpenChatOptions {
  /** Text for the composer (e.g. `About: "<selection>"\n`); focus goes there. */
  prefill?: string;
}

interface ChatUi {
  open: boolean;
  /** The panel has been opened once in this page's life (its chunk is loaded, its state kept). */
  mounted: boolean;
  /** Phone layout: the panel covers the page. */
  modal: boolean;
  prefill: { text: string; n: number } | null;
  openChat(options?: OpenChatOptions): void;
  /** `returnFocus: false` when the reader is being taken somewhere else (a citation). */
  closeChat(options?: { returnFocus?: boolean }): void;
  toggleChat(): void;
}

const ChatContext = createContext<ChatUi | null>(null);

/** The header's "Ask the book" button: where focus goes back when the panel closes. */
export const CHAT_TOGGLE_ATTR = "data-chat-toggle";

export function ChatProvider({ children }: { children: ReactNode }) {
  const modal = useMediaQuery(PHONE_QUERY);
  // A reload brings the panel back on wide screens (not as a full-screen surprise on a phone).
  const [open, setOpen] = useState(() => loadSaved().open && !window.matchMedia(PHONE_QUERY).matches);
  const [mounted, setMounted] = useState(open);
  const [prefill, setPrefill] = useState<ChatUi["prefill"]>(null);
  const { pathname } = useLocation();

  const openChat = useCallback((options: OpenChatOptions = {}) => {
    setOpen(true);
    setMounted(true);
    save({ open: true });
    setPrefill((p) => ({ text: options.prefill ?? "", n: (p?.n ?? 0) + 1 }));
  }, []);

  const closeChat = useCallback(({ returnFocus = true }: { returnFocus?: boolean } = {}) => {
    setOpen(false);
    save({ open: false });
    if (returnFocus) requestAnimationFrame(() => document.querySelector<HTMLElement>(`[${CHAT_TOGGLE_ATTR}]`)?.focus());
  }, []);

  const openRef = useRef(open);
  openRef.current = open;
  const toggleChat = useCallback(() => (openRef.current ? closeChat() : openChat()), [openChat, closeChat]);

  // On a phone the panel covers the page: going to another page (a citation, the check-email
  // page after registering) shows that page.
  const modalRef = useRef(modal);
  modalRef.current = modal;
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    if (modalRef.current && openRef.current) closeChat({ returnFocus: false });
  }, [pathname, closeChat]);

  const value = useMemo<ChatUi>(
    () => ({ open, mounted, modal, prefill, openChat, closeChat, toggleChat }),
    [open, mounted, modal, prefill, openChat, closeChat, toggleChat],
  );
  return <ChatContext value={value}>{children}</ChatContext>;
}

export function useChatUi(): ChatUi {
  const ctx = use(ChatContext);
  if (!ctx) throw new Error("useChatUi must be used inside <ChatProvider>");
  return ctx;
}

/** `About: "<selection>"\n`, the selection's whitespace collapsed and cut to about 500 characters. */
export function selectionPrefill(selection: string, max = 500): string {
  let text = selection.replace(/\s+/g, " ").trim();
  const chars = [...text];
  if (chars.length > max) text = `${chars.slice(0, max - 1).join("").trimEnd()}…`;
  return `About: "${text}"\n`;
}
